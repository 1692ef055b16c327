"""Tests of the synthetic salt-layout jet generator."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from halite.data import synthetic
from halite.data.synthetic import (
    FLAVOUR_NAMES,
    JET_DTYPE,
    TRACK_DTYPE,
    TRACK_ORIGIN_NAMES,
    generate_jets,
    write_file,
    write_splits,
)

NUM_JETS = 2000


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    return generate_jets(NUM_JETS, seed=7)


@pytest.fixture(scope="module")
def h5_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "train.h5"
    write_file(path, NUM_JETS, seed=7, chunk_size=700)
    return path


def test_shapes_and_dtypes(data: dict[str, np.ndarray]) -> None:
    assert set(data) == {"jets", "tracks"}
    assert data["jets"].shape == (NUM_JETS,)
    assert data["tracks"].shape == (NUM_JETS, 40)
    assert data["jets"].dtype == JET_DTYPE
    assert data["tracks"].dtype == TRACK_DTYPE
    assert generate_jets(10, seed=1, num_tracks=5)["tracks"].shape == (10, 5)


def test_file_layout(h5_file: Path) -> None:
    with h5py.File(h5_file, "r") as f:
        assert set(f) == {"jets", "tracks"}
        jets, tracks = f["jets"], f["tracks"]
        assert jets.shape == (NUM_JETS,)
        assert tracks.shape == (NUM_JETS, 40)
        assert jets.dtype == JET_DTYPE
        assert tracks.dtype == TRACK_DTYPE
        assert jets.compression is None
        assert tracks.compression is None
        assert [str(x) for x in jets.attrs["flavour_label"]] == FLAVOUR_NAMES
        assert [str(x) for x in tracks.attrs["ftagTruthOriginLabel"]] == TRACK_ORIGIN_NAMES
        assert FLAVOUR_NAMES == ["bjets", "cjets", "ujets"]
        jets_arr = jets[:]
        # the first chunk of the file equals generate_jets with the same seed
        first = generate_jets(700, seed=7)
        np.testing.assert_array_equal(jets_arr[:700], first["jets"])
        np.testing.assert_array_equal(tracks[:700], first["tracks"])
    # event numbers are unique and sequential across chunks
    ev = jets_arr["eventNumber"]
    np.testing.assert_array_equal(np.diff(ev), 1)
    assert not list(h5_file.parent.glob(".*.tmp"))


def test_padding_layout(data: dict[str, np.ndarray]) -> None:
    jets, tracks = data["jets"], data["tracks"]
    valid = tracks["valid"]
    # valid entries first: once a slot is invalid, all later slots are invalid
    assert not np.any(valid[:, 1:] & ~valid[:, :-1])
    np.testing.assert_array_equal(jets["n_tracks"], valid.sum(axis=1))
    pad = tracks[~valid]
    for name in TRACK_DTYPE.names:
        assert not np.any(pad[name]), f"padding field {name} not zero"
    # sorted by descending |signed d0 significance| within each jet
    key = np.where(valid, np.abs(tracks["IP3D_signed_d0_significance"]), -1.0)
    assert np.all(np.diff(key, axis=1) <= 0)


def test_label_values(data: dict[str, np.ndarray]) -> None:
    jets, tracks = data["jets"], data["tracks"]
    valid = tracks["valid"]
    flav = jets["flavour_label"]
    assert set(np.unique(flav)) <= {0, 1, 2}
    np.testing.assert_array_equal(jets["HadronConeExclTruthLabelID"], np.array([5, 4, 0])[flav])
    fractions = np.bincount(flav, minlength=3) / len(flav)
    np.testing.assert_allclose(fractions, [0.3, 0.2, 0.5], atol=0.04)
    origin = tracks["ftagTruthOriginLabel"][valid]
    assert origin.min() >= 0
    assert origin.max() <= 7
    assert len(np.unique(origin)) >= 7
    # heavy-flavour origins only in the matching jet flavour
    jet_flav = np.broadcast_to(flav[:, None], valid.shape)[valid]
    assert not np.any(np.isin(origin, [3, 4]) & (jet_flav != 0))
    assert not np.any((origin == 5) & (jet_flav != 1))
    vtx = tracks["ftagTruthVertexIndex"][valid]
    assert np.all(vtx[origin == 2] == 0)
    assert np.all(vtx[origin <= 1] == -1)
    lepton = np.unique(tracks["leptonID"][valid])
    assert set(lepton) <= {-13, -11, 0, 11, 13}
    assert np.mean(tracks["leptonID"][valid] != 0) < 0.05


def test_kinematics(data: dict[str, np.ndarray]) -> None:
    jets, tracks = data["jets"], data["tracks"]
    valid = tracks["valid"]
    assert jets["pt_truth"].min() >= 20e3
    assert np.median(jets["pt_truth"]) < 60e3  # falling spectrum
    assert np.abs(jets["eta"]).max() < 2.5
    np.testing.assert_array_equal(jets["pt_btagJes"], jets["pt"])
    np.testing.assert_array_equal(jets["eta_btagJes"], jets["eta"])
    assert np.all(jets["sample_weight"] > 0)
    assert np.all(jets["energy"] >= jets["pt"])
    response = jets["pt"] / jets["pt_truth"]
    assert 0.93 < response.mean() < 1.02
    assert 0.04 < response.std() < 0.2
    # track eta/phi consistent with jet axis + deta/dphi
    jet_eta = np.broadcast_to(jets["eta"][:, None], valid.shape)[valid]
    np.testing.assert_allclose(tracks["eta"][valid], jet_eta + tracks["deta"][valid], atol=1e-5)
    assert np.all(tracks["pt"][valid] >= 500.0)
    np.testing.assert_allclose(
        tracks["ptfrac"][valid],
        tracks["pt"][valid] / np.broadcast_to(jets["pt"][:, None], valid.shape)[valid],
        rtol=1e-5,
    )
    # summed track pt carries information on the regression target
    sum_pt = np.where(valid & (tracks["ftagTruthOriginLabel"] >= 2), tracks["pt"], 0).sum(1)
    has = jets["n_tracks"] > 3
    assert np.corrcoef(np.log(sum_pt[has]), np.log(jets["pt_truth"][has]))[0, 1] > 0.7


def test_multiplicity_and_learnability(data: dict[str, np.ndarray]) -> None:
    jets, tracks = data["jets"], data["tracks"]
    valid = tracks["valid"]
    n = jets["n_tracks"]
    assert 8.0 < n.mean() < 12.5  # about a quarter of 40 slots
    flav = jets["flavour_label"]
    assert n[flav == 0].mean() > n[flav == 2].mean() + 1.5
    assert 0.0 < np.mean(n == 0) < 0.03
    sd0 = tracks["IP3D_signed_d0_significance"]
    mean_sd0 = [sd0[valid & (flav == k)[:, None]].mean() for k in range(3)]
    assert mean_sd0[0] > mean_sd0[1] > mean_sd0[2]
    assert mean_sd0[0] > mean_sd0[2] + 1.0
    origin = tracks["ftagTruthOriginLabel"][valid]
    sd0v = sd0[valid]
    assert np.median(sd0v[origin == 3]) > 2.0 > abs(np.median(sd0v[origin == 2]))
    z0 = np.abs(tracks["z0SinTheta"][valid])
    assert z0[origin == 0].mean() > 5 * z0[origin == 2].mean()
    hits = tracks["numberOfPixelHits"][valid]
    assert 3.0 < hits.mean() < 5.0
    assert 7.0 < tracks["numberOfSCTHits"][valid].mean() < 9.5


def test_reproducible() -> None:
    a = generate_jets(300, seed=3)
    b = generate_jets(300, seed=3)
    c = generate_jets(300, seed=4)
    for key in ("jets", "tracks"):
        assert a[key].tobytes() == b[key].tobytes()
        assert a[key].tobytes() != c[key].tobytes()
    assert a["jets"]["eventNumber"][0] != c["jets"]["eventNumber"][0]


def test_invalid_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="num_jets"):
        generate_jets(-1, seed=0)
    with pytest.raises(ValueError, match="num_tracks"):
        generate_jets(10, seed=0, num_tracks=0)
    with pytest.raises(ValueError, match="chunk_size"):
        write_file(tmp_path / "x.h5", 10, seed=0, chunk_size=0)
    assert not (tmp_path / "x.h5").exists()


def test_zero_jets(tmp_path: Path) -> None:
    d = generate_jets(0, seed=0)
    assert d["jets"].shape == (0,)
    assert d["tracks"].shape == (0, 40)
    write_file(tmp_path / "empty.h5", 0, seed=0)
    with h5py.File(tmp_path / "empty.h5", "r") as f:
        assert f["tracks"].shape == (0, 40)


def test_write_splits(tmp_path: Path) -> None:
    paths = write_splits(tmp_path / "out", 200, 100, 50, seed=1, num_tracks=10)
    assert set(paths) == {"train", "val", "test"}
    events = []
    for split, n in (("train", 200), ("val", 100), ("test", 50)):
        assert paths[split] == tmp_path / "out" / f"{split}.h5"
        with h5py.File(paths[split], "r") as f:
            assert f["jets"].shape == (n,)
            assert f["tracks"].shape == (n, 10)
            events.append(f["jets"]["eventNumber"])
    all_events = np.concatenate(events)
    assert len(np.unique(all_events)) == len(all_events)


def test_module_exports() -> None:
    for name in synthetic.__all__:
        assert hasattr(synthetic, name)
