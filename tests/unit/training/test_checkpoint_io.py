"""Every checkpoint read goes through the safe loader: weights, bare state dicts, refusals."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
import torch

from halite.training.checkpoint_io import safe_load, safe_load_weights
from halite.training.pretrained import read_state_dict
from halite.training.restore import load_weights


class NotAllowed:
    """A class outside the allow-list: unpickling it could run code."""


def save(path: Path, obj: object) -> Path:
    torch.save(obj, path)
    return path


def test_weights_of_lightning_and_bare_checkpoints(tmp_path: Path) -> None:
    weights = {"model.a": torch.ones(2), "b": torch.zeros(1)}
    ckpt = save(tmp_path / "l.ckpt", {"state_dict": weights, "global_step": 3})
    bare = save(tmp_path / "bare.pt", collections.OrderedDict(weights))
    for path in (ckpt, bare):
        got = safe_load_weights(path)
        assert list(got) == ["model.a", "b"]
        assert list(safe_load_weights(path, strip_prefix="model.")) == ["a", "b"]
    assert list(read_state_dict(ckpt)) == ["a", "b"]
    with pytest.raises(ValueError, match=r"bare\.pt is not a Lightning checkpoint"):
        safe_load(bare)
    assert safe_load(bare, lightning=False)["b"].shape == (1,)
    with pytest.raises(ValueError, match=r"list\.pt holds a list, not a checkpoint dict"):
        safe_load(save(tmp_path / "list.pt", [1, 2]), lightning=False)


def test_unsafe_objects_are_refused_everywhere(tmp_path: Path) -> None:
    bad = save(tmp_path / "bad.ckpt", {"state_dict": {"w": torch.ones(1)}, "extra": NotAllowed()})
    model = torch.nn.Linear(1, 1)
    for load in (safe_load, safe_load_weights, read_state_dict, lambda p: load_weights(model, p, p)):
        with pytest.raises(ValueError, match=r"Refusing to load .*bad\.ckpt.*allow-list"):
            load(bad)


def test_load_weights_strict_and_eval(tmp_path: Path) -> None:
    src = torch.nn.Linear(2, 1)
    ckpt = save(tmp_path / "w.ckpt", {"state_dict": src.state_dict()})
    dst = torch.nn.Linear(2, 1).train()
    load_weights(dst, ckpt, tmp_path / "config.yaml")
    torch.testing.assert_close(dst.weight, src.weight)
    assert not dst.training
    with pytest.raises(ValueError, match=r"does not match the model of .*config\.yaml: missing \['0.weight'"):
        load_weights(torch.nn.Sequential(torch.nn.Linear(2, 1)), ckpt, tmp_path / "config.yaml")
    with pytest.raises(FileNotFoundError, match=r"Checkpoint not found: .*nope\.ckpt"):
        load_weights(dst, tmp_path / "nope.ckpt", tmp_path / "config.yaml")
