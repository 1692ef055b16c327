"""Tests of the norm-dict / class-dict preparation (salt / UPP formats)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from halite.data.prep import DEFAULT_VARIABLES, compute_class_dict, compute_norm_dict
from halite.data.synthetic import write_file

NUM_JETS = 2000
VARIABLES = {
    "jets": ["pt_btagJes", "eta_btagJes"],
    "tracks": ["d0", "IP3D_signed_d0_significance", "numberOfPixelHits", "leptonID", "qOverP"],
}
LABELS = {"jets": ["flavour_label"], "tracks": ["ftagTruthOriginLabel"]}


@pytest.fixture(scope="module")
def h5_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prep") / "train.h5"
    write_file(path, NUM_JETS, seed=11)
    return path


@pytest.fixture(scope="module")
def arrays(h5_file: Path) -> dict[str, np.ndarray]:
    with h5py.File(h5_file, "r") as f:
        return {"jets": f["jets"][:], "tracks": f["tracks"][:]}


def _reference_norm(arrays: dict[str, np.ndarray], num_jets: int | None = None) -> dict:
    jets = arrays["jets"][:num_jets]
    tracks = arrays["tracks"][:num_jets]
    valid = tracks["valid"]
    ref: dict = {"jets": {}, "tracks": {}}
    for var in VARIABLES["jets"]:
        x = jets[var].astype(np.float64)
        ref["jets"][var] = (x.mean(), x.std())
    for var in VARIABLES["tracks"]:
        x = tracks[var][valid].astype(np.float64)
        ref["tracks"][var] = (x.mean(), x.std())
    return ref


def _assert_norm_matches(norm: dict, ref: dict) -> None:
    assert set(norm) == set(ref)
    for stream, entries in ref.items():
        assert list(norm[stream]) == list(entries)
        for var, (mean, std) in entries.items():
            assert isinstance(norm[stream][var]["mean"], float)
            assert isinstance(norm[stream][var]["std"], float)
            np.testing.assert_allclose(norm[stream][var]["mean"], mean, rtol=1e-5, atol=1e-12)
            np.testing.assert_allclose(norm[stream][var]["std"], std, rtol=1e-5)


def test_norm_dict_matches_numpy(h5_file: Path, arrays: dict[str, np.ndarray]) -> None:
    norm = compute_norm_dict(h5_file, VARIABLES)
    _assert_norm_matches(norm, _reference_norm(arrays))


def test_norm_dict_small_blocks(h5_file: Path, arrays: dict[str, np.ndarray]) -> None:
    whole = compute_norm_dict(h5_file, VARIABLES)
    blocked = compute_norm_dict(h5_file, VARIABLES, block_size=300)
    for stream, entries in whole.items():
        for var, entry in entries.items():
            np.testing.assert_allclose(blocked[stream][var]["mean"], entry["mean"], rtol=1e-9, atol=1e-15)
            np.testing.assert_allclose(blocked[stream][var]["std"], entry["std"], rtol=1e-9)


def test_norm_dict_num_jets(h5_file: Path, arrays: dict[str, np.ndarray]) -> None:
    norm = compute_norm_dict(h5_file, VARIABLES, num_jets=500, block_size=128)
    _assert_norm_matches(norm, _reference_norm(arrays, num_jets=500))


def test_norm_dict_default_variables(h5_file: Path) -> None:
    norm = compute_norm_dict(h5_file, DEFAULT_VARIABLES, block_size=1000)
    assert {s: list(v) for s, v in norm.items()} == DEFAULT_VARIABLES
    assert all(e["std"] > 0 for entries in norm.values() for e in entries.values())


def test_norm_dict_input_map(tmp_path: Path) -> None:
    path = tmp_path / "mapped.h5"
    with h5py.File(path, "w") as f:
        arr = np.zeros(4, dtype=[("x", "f4"), ("c", "f4")])
        arr["x"] = [1, 2, 3, 4]
        arr["c"] = 5.0
        f.create_dataset("my_jets", data=arr)
    norm = compute_norm_dict(path, {"jets": ["x", "c"]}, input_map={"jets": "my_jets"})
    assert norm["jets"]["x"] == {"mean": 2.5, "std": pytest.approx(np.std([1, 2, 3, 4]))}
    assert norm["jets"]["c"] == {"mean": 5.0, "std": 1.0}  # constant: std replaced by 1


def test_constant_variable_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "const.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("jets", data=np.ones(3, dtype=[("c", "f4")]))
    norm = compute_norm_dict(path, {"jets": ["c"]})
    assert norm["jets"]["c"]["std"] == 1.0
    err = caplog.text
    assert "'c'" in err
    assert "'jets'" in err


def test_class_dict_formula(h5_file: Path, arrays: dict[str, np.ndarray]) -> None:
    classes = compute_class_dict(h5_file, LABELS, block_size=300)
    flav = arrays["jets"]["flavour_label"]
    counts = np.bincount(flav, minlength=3).astype(float)
    expected = counts.sum() / counts
    expected /= expected.min()
    np.testing.assert_allclose(classes["jets"]["flavour_label"], expected, rtol=1e-12)
    tracks = arrays["tracks"]
    origin = tracks["ftagTruthOriginLabel"][tracks["valid"]]
    counts = np.bincount(origin, minlength=8).astype(float)
    assert len(classes["tracks"]["ftagTruthOriginLabel"]) == 8  # from the dataset attribute
    expected = counts.sum() / counts
    expected /= expected.min()
    np.testing.assert_allclose(classes["tracks"]["ftagTruthOriginLabel"], expected, rtol=1e-12)
    assert min(classes["jets"]["flavour_label"]) == 1.0
    assert all(isinstance(w, float) for w in classes["jets"]["flavour_label"])


def test_class_dict_missing_class_and_negative(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "labels.h5"
    with h5py.File(path, "w") as f:
        arr = np.zeros(7, dtype=[("lab", "i4")])
        arr["lab"] = [0, 0, 0, 1, -1, -1, 0]
        f.create_dataset("jets", data=arr)
    classes = compute_class_dict(path, {"jets": ["lab"]}, num_classes={"lab": 3})
    # counts [4, 1, 0] -> weights [5/4, 5, -] / (5/4) = [1, 4], missing class gets the max
    assert classes == {"jets": {"lab": [1.0, 4.0, 4.0]}}
    assert "never occur" in caplog.text
    with pytest.raises(ValueError, match="expected"):
        compute_class_dict(path, {"jets": ["lab"]}, num_classes={"lab": 1})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.h5"):
        compute_norm_dict(tmp_path / "missing.h5", VARIABLES)
    with pytest.raises(FileNotFoundError, match=r"missing\.h5"):
        compute_class_dict(tmp_path / "missing.h5", LABELS)


def test_missing_dataset(h5_file: Path) -> None:
    match = r"train\.h5 has no dataset 'muons'.*Available datasets: \['jets', 'tracks'\]"
    with pytest.raises(ValueError, match=match):
        compute_norm_dict(h5_file, {"muons": ["pt"]})
    with pytest.raises(ValueError, match=r"no dataset 'trk'.*input_map: 'tracks' -> 'trk'"):
        compute_norm_dict(h5_file, {"tracks": ["d0"]}, input_map={"tracks": "trk"})


def test_missing_variable(h5_file: Path) -> None:
    match = r"'tracks'.*train\.h5.*\['not_a_var'\].*Available fields: \['valid'"
    with pytest.raises(ValueError, match=match):
        compute_norm_dict(h5_file, {"tracks": ["d0", "not_a_var"]})
    with pytest.raises(ValueError, match="no label"):
        compute_class_dict(h5_file, {"jets": ["not_a_label"]})


def test_non_finite(tmp_path: Path) -> None:
    path = tmp_path / "broken.h5"
    tracks = np.zeros((5, 3), dtype=[("valid", "?"), ("d0", "f4"), ("z0", "f4")])
    tracks["valid"][:, :2] = True
    tracks["d0"] = 1.0
    tracks["d0"][1, 0] = np.nan
    tracks["d0"][2, 1] = np.inf
    tracks["d0"][3, 2] = np.nan  # padding: ignored
    tracks["z0"] = np.arange(15, dtype="f4").reshape(5, 3)
    with h5py.File(path, "w") as f:
        f.create_dataset("tracks", data=tracks)
    with pytest.raises(ValueError, match=r"broken\.h5.*'tracks'.*'d0' \(2 values\)"):
        compute_norm_dict(path, {"tracks": ["z0", "d0"]}, block_size=2)
    norm = compute_norm_dict(path, {"tracks": ["z0"]}, block_size=2)
    z0 = tracks["z0"][tracks["valid"]].astype(np.float64)
    assert norm["tracks"]["z0"]["mean"] == pytest.approx(z0.mean())
    assert norm["tracks"]["z0"]["std"] == pytest.approx(z0.std())
