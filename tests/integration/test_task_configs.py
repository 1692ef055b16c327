"""Multi-task and regression configs: fit 1 epoch -> test from the CLI, predictions checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from halite.cli import HaliteCLI
from halite.commands import main
from halite.data.datamodule import JetDataModule
from halite.training.module import LitModel
from tests.conftest import tiny_config

NUM_TEST = 300


def shrink(cfg_path: Path, embed: int = 32) -> None:
    """Narrow the encoder of a tiny config so the published sizes stay out of the unit-test budget."""
    cfg = yaml.safe_load(cfg_path.read_text())
    model = cfg["model"]["model"]["init_args"]
    model["init_nets"][0]["dense_config"]["hidden_layers"] = [embed]
    model["encoder"]["init_args"].update(
        {"embed_dim": embed, "num_layers": 1, "num_heads": 2, "out_dim": embed}
    )
    for task in model["tasks"]:
        task["init_args"]["dense_config"]["hidden_layers"] = [16]
    cfg_path.write_text(yaml.safe_dump(cfg))


def fit_and_test(config: str, data: dict[str, Path], out: Path, *test_args: str) -> Path:
    cfg = tiny_config(config, data, out, num_train=300, num_val=100)
    shrink(cfg)
    main(["fit", "--config", str(cfg)])
    (run,) = list((out / "logs").glob("*_*"))
    main(["test", "--config", str(run / "config.yaml"), *test_args])
    (pred,) = list((run / "predictions").glob("*.h5"))
    assert not list(run.rglob("*.tmp"))
    return pred


def test_gn2_three_tasks(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    pred = fit_and_test("GN2.yaml", tiny_data, tmp_path, "--write_tracks", "true")
    with h5py.File(pred) as f, h5py.File(tiny_data["test"]) as t:
        jets, tracks = f["jets"][:], f["tracks"][:]
        truth = t["tracks"][:NUM_TEST]
    assert jets.shape == (NUM_TEST,)
    probs = np.stack([jets[f"GN2_p{c}"] for c in "bcu"], axis=1)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    assert tracks.shape == (NUM_TEST, 40)
    # salt's layout: the file's track fields, the outputs, then mask (True for padding)
    np.testing.assert_array_equal(tracks["valid"], truth["valid"])
    np.testing.assert_array_equal(tracks["mask"], ~truth["valid"])
    origins = ["Pileup", "Fake", "Primary", "FromB", "FromBC", "FromC", "FromTau", "OtherSecondary"]
    p = np.stack([tracks[f"GN2_p{o}"] for o in origins], axis=-1)
    valid = ~tracks["mask"]
    np.testing.assert_allclose(p[valid].sum(-1), 1.0, rtol=1e-5)
    vi = tracks["VertexIndex"]
    assert vi.dtype == np.int64
    assert (vi[~valid] == -1).all()
    # per jet, indices are 0..K-1 in order of first appearance
    for row, ok in zip(vi, valid):
        ids = row[ok]
        if ids.size:
            first = ids[np.sort(np.unique(ids, return_index=True)[1])]
            np.testing.assert_array_equal(first, np.arange(len(first)))


def test_regression_config(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    pred = fit_and_test("regression.yaml", tiny_data, tmp_path)
    with h5py.File(pred) as f:
        jets = f["jets"][:]
    assert jets.shape == (NUM_TEST,)
    out = jets["regression_pt_truth"]
    assert out.dtype == np.float32 and np.isfinite(out).all()
    # de-scaled from log(pt / GeV): MeV, positive, and within a factor of a few of the truth
    ratio = out / jets["pt_truth"]
    assert (out > 0).all()
    assert 0.2 < np.median(ratio) < 5.0


def test_gaussian_regression_config(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    pred = fit_and_test("regression_gaussian.yaml", tiny_data, tmp_path)
    with h5py.File(pred) as f:
        jets = f["jets"][:]
    mean = jets["jet_pt_gaussian_pt_truth"]  # salt names Gaussian columns <task>_<target>
    std = jets["jet_pt_gaussian_pt_truth_stddev"]
    assert mean.shape == std.shape == (NUM_TEST,)
    assert np.isfinite(mean).all() and (std > 0).all()
    # ratio target (pt_truth / pt) multiplied back by the reco pt: both columns are in MeV and
    # scale with the jet pt, which spans more than a factor 10 (the network's ratio outputs do not)
    pt = jets["pt"].astype(np.float64)
    assert pt.max() / pt.min() > 10
    assert np.corrcoef(np.log(std), np.log(pt))[0, 1] > 0.9
    assert np.std(np.log(std / pt)) < 0.5 * np.std(np.log(pt))


def test_class_names_default_from_training_file(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    train = tmp_path / "train.h5"
    shutil.copyfile(tiny_data["train"], train)
    with h5py.File(train, "a") as f:
        f["jets"].attrs["flavour_label"] = ["B", "C", "light"]  # the file wins over the built-in table
        f["tracks"].attrs["myOrigin"] = ["a", "b", "c"]  # a label unknown to halite
    cfg_path = tiny_config("demo.yaml", tiny_data, tmp_path, train_file=str(train))
    cfg = yaml.safe_load(cfg_path.read_text())
    origin = cfg["model"]["model"]["init_args"]["tasks"][1]["init_args"]
    origin["label"] = "myOrigin"
    cfg_path.write_text(yaml.safe_dump(cfg))
    cli = HaliteCLI(
        LitModel, JetDataModule, args=["--config", str(cfg_path)], run=False, auto_configure_optimizers=False
    )
    jets_task, origin_task = cli.model.model.tasks
    assert jets_task.class_names == ["B", "C", "light"]
    assert origin_task.class_names == ["a", "b", "c"] and origin_task.output_size == 3
    origin["label"] = "notInFile"
    cfg_path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match="'notInFile' is not a known label.*no attribute 'notInFile'"):
        HaliteCLI(LitModel, JetDataModule, args=["--config", str(cfg_path)], run=False)
