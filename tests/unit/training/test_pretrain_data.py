"""The pretraining mixer's derived inputs and id scale, and ``load_backbone``'s loud failures."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from halite.data.synthetic_points import write_sample
from halite.errors import CheckpointError, ConfigError
from halite.nn import PET2
from halite.training.pretrain_data import _pid_scale, check_variables, class_names, read_source
from halite.training.pretrained import load_backbone


def test_derived_inputs_equal_the_synthetic_sample_stored_ones(tmp_path: Path) -> None:
    """The mixer computes log pt, log E, relative ones and dR itself; on the synthetic jets (which store
    them) it gives the stored values, so every source gets the same definitions."""
    path = write_sample(tmp_path / "train.h5", "jets", 50, 3, 32)
    mixed = read_source(path, "synth_jets", 40)  # 8 more slots than stored: padded
    with h5py.File(path, "r") as f:
        parts = f["particles"][:]
        labels = f["jets"]["is_top"]
    valid = parts["valid"]
    assert mixed["valid"].shape == (50, 40) and not mixed["valid"][:, 32:].any()
    for name in ("log_pt", "log_energy", "log_pt_rel", "log_energy_rel", "dR", "deta"):
        np.testing.assert_allclose(
            mixed["particles"][name][:, :32][valid], parts[name][valid], rtol=1e-5, atol=1e-5
        )
        assert not mixed["particles"][name][~mixed["valid"]].any()  # padding zeroed
    np.testing.assert_array_equal(mixed["label"], labels)


def test_pid_scale_and_classes() -> None:
    pdg = np.array([22, 211, -211, 130, 2112, 11, -13])
    charge = np.array([0, 1, -1, 0, 0, -1, 1], dtype=np.float32)
    # Pythia's PDG ids onto the synthetic jets' scale: 0 photon, 1 charged, 2 neutral hadron
    np.testing.assert_array_equal(_pid_scale(pdg, charge, "pythia"), [0, 1, 1, 2, 2, 1, 1])
    np.testing.assert_array_equal(_pid_scale(np.array([0, 1, 2]), np.zeros(3), "synthetic"), [0, 1, 2])
    assert class_names(["synth_jets", "flavour"]) == [
        "synth_jets_QCD", "synth_jets_top", "flavour_bjets", "flavour_cjets", "flavour_ujets"]  # fmt: skip
    with pytest.raises(ConfigError, match=r"data.variables.particles has \['d0'\]"):
        check_variables({"particles": ["deta", "d0"]})


def _pet2(base_dim: int) -> torch.nn.Module:
    model = torch.nn.Module()
    model.backbone = PET2(preset=None, input_dim=4, base_dim=base_dim, num_transformers=1, num_transformers_head=1,
                          num_heads=2, K=3)  # fmt: skip
    return model


def test_omnilearned_files_load_and_a_mismatch_fails_loudly(tmp_path: Path) -> None:
    """OmniLearned's trainer layout (``body``, ``classifier_head``) loads into ``backbone.*``; a checkpoint
    of another width loads too few tensors and raises, naming the file and example keys."""
    src = _pet2(16).backbone.state_dict()
    saved = {"body": {k[5:]: v for k, v in src.items() if k.startswith("body.")},
             "classifier_head": {k[11:]: v for k, v in src.items() if k.startswith("classifier.")}, "epoch": 3}  # fmt: skip
    path = tmp_path / "best_model_pretrain.pt"
    torch.save(saved, path)
    same = _pet2(16)
    report = load_backbone(same, path)
    assert len(report.loaded) == len(src) and not report.missing
    torch.testing.assert_close(same.backbone.state_dict()["body.token"], src["body.token"])
    with pytest.raises(
        CheckpointError, match=r"best_model_pretrain\.pt: only \d+ of the model's \d+ backbone"
    ) as e:
        load_backbone(_pet2(24), path)
    assert "backbone.body.token (1, 4, 16)->(1, 4, 24)" in str(e.value)
    torch.save({"state_dict": {"model.other.weight": torch.zeros(2)}}, tmp_path / "x.ckpt")
    with pytest.raises(CheckpointError, match=r"x\.ckpt: only 0 of .*lacks: other\.weight"):
        load_backbone(_pet2(16), tmp_path / "x.ckpt")
