"""GLOBAL and PARAMETERS streams in the data module."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from halite.data.datamodule import JetDataModule
from halite.data.parameters import ParameterConfig
from halite.data.specs import LabelSpec
from halite.data.synthetic import write_file


@pytest.fixture(scope="module")
def param_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_file(tmp_path_factory.mktemp("params") / "f.h5", 300, seed=4, parameters=True)


def module(path: Path, **kw: object) -> JetDataModule:
    return JetDataModule(
        train_file=str(path),
        val_file=str(path),
        test_file=str(path),
        variables={"jets": [], "GLOBAL": ["pt_btagJes"], "PARAMETERS": ["mass"], "tracks": ["d0"]},
        norm_dict="unused.yaml",
        input_map={"PARAMETERS": "parameters"},
        batch_size=300,
        num_workers=0,
        **kw,  # type: ignore[arg-type]
    )


def test_global_and_parameters_streams(param_file: Path) -> None:
    cfg = {"mass": ParameterConfig(train=[20.0, 40.0, 60.0, 80.0], test=50.0)}
    dm = module(param_file, PARAMETERS=cfg)
    dm.require_labels({"jets": [LabelSpec("flavour_label", num_classes=3)]})
    with h5py.File(param_file) as f:
        jets, mass = f["jets"][:], f["parameters"]["mass"]
    (train,) = list(dm.dataset("train"))
    assert train.inputs["GLOBAL"].shape == (300, 1) and train.inputs["jets"].shape == (300, 0)
    np.testing.assert_allclose(np.sort(train.inputs["GLOBAL"][:, 0].numpy()), np.sort(jets["pt_btagJes"]))
    values = train.inputs["PARAMETERS"][:, 0].numpy()
    assert set(np.unique(values)) <= {20.0, 40.0, 60.0, 80.0}  # background got drawn values
    signal = train.labels["jets"]["flavour_label"].numpy() == 0
    np.testing.assert_array_equal(np.sort(values[signal]), np.sort(mass[mass > 0]))  # signal keeps its mass
    (test,) = list(dm.dataset("test"))
    torch.testing.assert_close(test.inputs["PARAMETERS"], torch.full((300, 1), 50.0))
    assert (mass == 0).sum() > 100  # the file really has background to sample for


def test_parameters_config_must_match(param_file: Path) -> None:
    with pytest.raises(ValueError, match=r"add train/test values for \['mass'\]"):
        module(param_file)
    with pytest.raises(ValueError, match="data.PARAMETERS is set but data.variables has no PARAMETERS"):
        JetDataModule(
            train_file=str(param_file),
            val_file=str(param_file),
            variables={"jets": ["pt_btagJes"]},
            norm_dict="unused.yaml",
            PARAMETERS={"mass": ParameterConfig([1.0], 1.0)},
        )


def test_prep_reads_global_from_the_global_object(tmp_path: Path) -> None:
    from halite.commands import main

    path = write_file(tmp_path / "train.h5", 200, seed=2, num_tracks=6)
    data = {
        "train_file": str(path),
        "variables": {"jets": ["eta_btagJes"], "GLOBAL": ["pt_btagJes"], "tracks": ["d0"]},
        "norm_dict": str(tmp_path / "norm.yaml"),
        "class_dict": str(tmp_path / "class.yaml"),
    }
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump({"data": data}))
    assert main(["prep", "--config", str(tmp_path / "cfg.yaml")]) == 0
    norm = yaml.safe_load((tmp_path / "norm.yaml").read_text())
    with h5py.File(path) as f:
        mean = float(f["jets"]["pt_btagJes"].mean())
    assert norm["GLOBAL"]["pt_btagJes"]["mean"] == pytest.approx(mean, rel=1e-5)
