"""ROOT / parquet inputs in the one-jet-per-entry layout, against numpy and the converted HDF5."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import torch
import uproot

from halite.data.block_reader import reader_factory
from halite.data.columnar.config import columnar_config
from halite.data.columnar.reader import ColumnarReader, ColumnarReaderFactory
from halite.data.convert import convert
from halite.data.dataset import JetDataset
from halite.data.specs import InputSpec, LabelSpec

NUM = 240
CONFIG = {
    "layout": "jet",
    "tree": "tree",
    "selection": "(jet_pt > 30) & (abs(jet_eta) < 2)",
    "new_variables": {
        "part_logpt": "log(part_pt)",
        "part_rel": "part_pt / jet_pt",
        "jet_logm": "log(jet_mass)",
    },
    "labels": {
        "flavour_label": {"one_hot": ["label_b", "label_c", "label_l"]},
        "flav_mapped": {"branch": "flav", "label_map": {5: 0, 4: 1, 0: 2}, "class_names": ["b", "c", "l"]},
    },
    "streams": {
        "jets": {"branches": ["jet_pt", "jet_eta", "jet_logm"]},
        "tracks": {
            "branches": ["part_logpt", "part_rel", "part_eta", "part_charge"],
            "max_length": 8,
            "sort_by": "part_pt",
        },
    },
    "step_size": 70,
}


def make_jets(seed: int = 5) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 14, NUM)
    flav = rng.choice([0, 4, 5], NUM).astype(np.int32)
    total = int(counts.sum())
    return {
        "jet_pt": rng.uniform(10, 200, NUM).astype(np.float32),
        "jet_eta": rng.uniform(-3, 3, NUM).astype(np.float32),
        "jet_mass": rng.uniform(1, 50, NUM),
        "flav": flav,
        "label_b": flav == 5,
        "label_c": flav == 4,
        "label_l": flav == 0,
        "part_pt": ak.unflatten(rng.exponential(10, total).astype(np.float32) + 0.5, counts),
        "part_eta": ak.unflatten(rng.normal(0, 1, total).astype(np.float32), counts),
        "part_charge": ak.unflatten(rng.integers(-1, 2, total).astype(np.int32), counts),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("columnar")
    arrays = make_jets()
    root = out / "jets.root"
    with uproot.recreate(root) as f:  # a TTree with jagged branches, written in two baskets
        f.mktree("tree", {k: v.type if isinstance(v, ak.Array) else v.dtype for k, v in arrays.items()})
        f["tree"].extend({k: v[:100] for k, v in arrays.items()})
        f["tree"].extend({k: v[100:] for k, v in arrays.items()})
    ntuple = out / "jets_rntuple.root"
    with uproot.recreate(ntuple) as f:
        f["tree"] = arrays
    parquet = out / "jets.parquet"
    ak.to_parquet(ak.zip(arrays, depth_limit=1), parquet, row_group_size=50)
    h5 = out / "jets.h5"
    convert([root], h5, columnar_config(CONFIG), "jets", progress=False)
    return {"root": root, "rntuple": ntuple, "parquet": parquet, "h5": h5, "arrays": arrays}  # type: ignore[dict-item]


def reference(arrays: dict) -> dict[str, np.ndarray]:
    """The expected selection, new variables, labels and padding, written with plain numpy loops."""
    pt, eta = arrays["jet_pt"], arrays["jet_eta"]
    keep = (pt > 30) & (np.abs(eta) < 2)
    idx = np.flatnonzero(keep)
    tracks = np.zeros((len(idx), 8, 4), dtype=np.float32)
    valid = np.zeros((len(idx), 8), dtype=bool)
    for row, j in enumerate(idx):
        ppt = np.asarray(arrays["part_pt"][j])
        order = np.argsort(-ppt, kind="stable")[:8]
        k = len(order)
        tracks[row, :k, 0] = np.log(ppt[order])
        tracks[row, :k, 1] = ppt[order] / pt[j]
        tracks[row, :k, 2] = np.asarray(arrays["part_eta"][j])[order]
        tracks[row, :k, 3] = np.asarray(arrays["part_charge"][j])[order]
        valid[row, :k] = True
    return {
        "keep": keep,
        "jet_pt": pt[idx],
        "jet_logm": np.log(arrays["jet_mass"][idx]),
        "flavour_label": np.select([arrays["label_b"], arrays["label_c"]], [0, 1], 2)[idx],
        "flav_mapped": np.array([{5: 0, 4: 1, 0: 2}[int(v)] for v in arrays["flav"][idx]]),
        "tracks": tracks,
        "valid": valid,
    }


@pytest.mark.parametrize("kind", ["root", "rntuple", "parquet"])
def test_selection_new_variables_labels_against_numpy(files: dict, kind: str) -> None:
    ref = reference(files["arrays"])
    reader = ColumnarReader(files[kind], columnar_config(CONFIG), global_object="jets")
    assert reader.num_jets == int(ref["keep"].sum()) > 0
    np.testing.assert_array_equal(np.diff(reader.offsets), ref["keep"].astype(int))
    jets, _ = reader.read_entries(0, NUM)["jets"]
    tracks, valid = reader.read_entries(0, NUM)["tracks"]
    reader.close()
    np.testing.assert_array_equal(jets["jet_pt"], ref["jet_pt"])
    np.testing.assert_allclose(jets["jet_logm"], ref["jet_logm"], rtol=1e-12)
    np.testing.assert_array_equal(jets["flavour_label"], ref["flavour_label"])
    np.testing.assert_array_equal(jets["flav_mapped"], ref["flav_mapped"])
    np.testing.assert_array_equal(valid, ref["valid"])
    got = np.stack([tracks[f] for f in CONFIG["streams"]["tracks"]["branches"]], axis=-1)
    np.testing.assert_allclose(got, ref["tracks"], rtol=1e-6)


def specs(track_length: int | None = 6) -> list[InputSpec]:
    return [
        InputSpec(
            "jets",
            "jets",
            ("jet_pt", "jet_eta", "jet_logm"),
            is_global=True,
            labels=(LabelSpec("flavour_label", num_classes=3),),
        ),
        InputSpec(
            "tracks", "tracks", ("part_logpt", "part_rel", "part_eta", "part_charge"), max_length=track_length
        ),
    ]


def batches(dataset: JetDataset, epoch: int) -> list:
    dataset.set_epoch(epoch)
    return list(dataset)


@pytest.mark.parametrize("kind", ["root", "parquet"])
@pytest.mark.parametrize(("shuffle", "num_jets"), [(True, -1), (False, 50)])
def test_same_batches_as_converted_hdf5(files: dict, kind: str, shuffle: bool, num_jets: int) -> None:
    kwargs = {
        "batch_size": 16,
        "num_jets": num_jets,
        "shuffle": shuffle,
        "bucket": True,
        "chunk_batches": 3,
        "seed": 3,
    }
    h5 = JetDataset([files["h5"]], specs(), **kwargs)
    readers = reader_factory([files[kind]], specs(), columnar_config(CONFIG), "jets")
    col = JetDataset([files[kind]], specs(), readers=readers, **kwargs)
    assert isinstance(col.readers, ColumnarReaderFactory)
    assert len(col) == len(h5) > 1
    for epoch in (0, 1):
        got, want = batches(col, epoch), batches(h5, epoch)
        assert len(got) == len(want) == len(h5)
        for a, b in zip(got, want, strict=True):
            for stream in ("jets", "tracks"):
                torch.testing.assert_close(a.inputs[stream], b.inputs[stream], rtol=0, atol=0)
            torch.testing.assert_close(a.pad_masks["tracks"], b.pad_masks["tracks"])
            torch.testing.assert_close(a.labels["jets"]["flavour_label"], b.labels["jets"]["flavour_label"])
    assert sum(len(b.inputs["jets"]) for b in got) == (h5.num_jets)


def test_converted_hdf5_layout(files: dict) -> None:
    import h5py

    ref = reference(files["arrays"])
    with h5py.File(files["h5"]) as f:
        jets, tracks = f["jets"][:], f["tracks"][:]
        assert list(f["jets"].attrs["flav_mapped"]) == ["b", "c", "l"]
    assert tracks.shape == (int(ref["keep"].sum()), 8)
    np.testing.assert_array_equal(tracks["valid"], ref["valid"])
    np.testing.assert_array_equal(jets["flav_mapped"], ref["flav_mapped"])
    assert jets.dtype["jet_pt"] == np.float32 and np.issubdtype(jets.dtype["flavour_label"], np.integer)


def test_label_value_outside_map(files: dict, tmp_path: Path) -> None:
    cfg = {**CONFIG, "labels": {"flav_mapped": {"branch": "flav", "label_map": {5: 0, 4: 1}}}}
    with pytest.raises(ValueError, match=r"label 'flav_mapped' has values \[0\].*label_map"):
        convert([files["root"]], tmp_path / "x.h5", columnar_config(cfg), progress=False)
    assert not (tmp_path / "x.h5").exists()


def test_one_hot_needs_exactly_one(files: dict, tmp_path: Path) -> None:
    cfg = {**CONFIG, "labels": {"flavour_label": {"one_hot": ["label_b", "label_c"]}}}
    with pytest.raises(ValueError, match="not exactly one of"):
        convert([files["root"]], tmp_path / "x.h5", columnar_config(cfg), progress=False)


def test_missing_branch_named(files: dict) -> None:
    cfg = {**CONFIG, "streams": {**CONFIG["streams"], "jets": {"branches": ["jet_ptt"]}}}
    with pytest.raises(KeyError, match=r"\['jet_ptt'\] not found.*jet_pt"):
        ColumnarReader(files["root"], columnar_config(cfg), global_object="jets")


def test_variable_not_in_stream(files: dict) -> None:
    with pytest.raises(KeyError, match=r"\['part_pt'\] of stream 'tracks' are not among its fields"):
        ColumnarReader(files["root"], columnar_config(CONFIG), {"tracks": ["part_pt"]}, "jets")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"selection": "__import__('os').system('ls')"}, "is not allowed"),
        ({"new_variables": {"x": "jet_pt.real"}}, "Attribute"),
        ({"streams": {"jets": {"branches": [], "max_len": 3}}}, r"unknown option\(s\) \['max_len'\]"),
        ({"labels": {"y": {}}}, "exactly one of 'branch' or 'one_hot'"),
        ({"layuot": "jet"}, r"unknown option\(s\) \['layuot'\]"),
    ],
)
def test_bad_config_rejected(change: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        columnar_config({**CONFIG, **change})


def test_constituent_stream_needs_max_length(files: dict) -> None:
    cfg = {**CONFIG, "streams": {**CONFIG["streams"], "tracks": {"branches": ["part_eta"]}}}
    with pytest.raises(ValueError, match="need max_length"):
        ColumnarReader(files["root"], columnar_config(cfg), global_object="jets")


def test_root_without_columnar_config_or_mixed(files: dict) -> None:
    with pytest.raises(ValueError, match="add a data.columnar section"):
        reader_factory([files["root"]], specs(), None, "jets")
    with pytest.raises(ValueError, match="mix HDF5 with ROOT/parquet"):
        reader_factory([files["root"], files["h5"]], specs(), columnar_config(CONFIG), "jets")


def test_glob_of_files_over_loader_workers(files: dict, tmp_path: Path) -> None:
    import shutil

    from torch.utils.data import DataLoader

    for i in range(2):
        shutil.copy(files["root"], tmp_path / f"part{i}.root")
    paths = sorted(tmp_path.glob("part*.root"))
    kwargs = {"batch_size": 16, "shuffle": True, "chunk_batches": 2, "seed": 1}
    readers = reader_factory(paths, specs(), columnar_config(CONFIG), "jets")
    dataset = JetDataset(paths, specs(), readers=readers, **kwargs)
    loader = DataLoader(dataset, batch_size=None, num_workers=2, multiprocessing_context="fork")
    got = torch.cat([b.inputs["jets"][:, 0] for b in loader])
    single = JetDataset([files["h5"]], specs(), batch_size=16)
    want = torch.cat([b.inputs["jets"][:, 0] for b in single])
    assert len(got) == 2 * len(want) == dataset.num_jets
    torch.testing.assert_close(got.sort().values, want.repeat(2).sort().values)


def test_convert_cli(files: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from halite.commands import main

    with pytest.raises(SystemExit) as exc:
        main(["convert", "--help"])
    assert exc.value.code == 0
    assert "halite convert" in capsys.readouterr().out
    cfg = tmp_path / "data.yaml"
    cfg.write_text(yaml.safe_dump({"data": {"global_object": "jets", "columnar": CONFIG}}, sort_keys=False))
    out = tmp_path / "out.h5"
    assert main(["convert", str(files["root"]), "--to", str(out), "--config", str(cfg)]) == 0
    assert "100%" in capsys.readouterr().err  # the progress bar
    import h5py

    with h5py.File(out) as f, h5py.File(files["h5"]) as ref:
        for stream in ("jets", "tracks"):
            got, want = f[stream][:], ref[stream][:]
            assert got.dtype == want.dtype, (got.dtype, want.dtype)
            assert got.tobytes() == want.tobytes()


def test_config_typo_fails_at_parse_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from halite.commands import main
    from tests.conftest import CONFIGS

    cfg = yaml.safe_load((CONFIGS / "pfnano.yaml").read_text())
    cfg["data"]["columnar"]["streams"]["tracks"]["max_len"] = cfg["data"]["columnar"]["streams"][
        "tracks"
    ].pop("max_length")
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", str(path), "--print_config"])
    assert exc.value.code != 0
    assert "Option 'max_len' is not accepted" in capsys.readouterr().err
