"""A run directory written before the package moves (old class paths) still tests and exports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from halite.commands import main
from halite.moved import MOVED, MovedPathWarning
from tests.conftest import tiny_config

NEW_TO_OLD = {
    "halite.models.model.Model": "halite.nn.model.Model",
    "halite.models.Model": "halite.nn.model.Model",
}


def _old_paths(value: Any) -> Any:
    if isinstance(value, str):
        return NEW_TO_OLD.get(value, value)
    if isinstance(value, dict):
        return {k: _old_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_old_paths(v) for v in value]
    return value


def test_run_dir_with_old_class_paths_tests_and_exports(
    tiny_data: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path, num_train=300, num_val=100)
    assert main(["fit", "--config", str(cfg), "--trainer.max_epochs=1"]) == 0
    (run,) = list((tmp_path / "logs").glob("*_*"))
    config = run / "config.yaml"
    text = config.read_text()
    assert "class_path: halite.models." in text
    for new, old in NEW_TO_OLD.items():
        text = text.replace(f"class_path: {new}\n", f"class_path: {old}\n")
    assert "halite.nn.model.Model" in text
    config.write_text(text)
    for ckpt in (run / "ckpts").glob("*.ckpt"):  # hyper-parameters name the class too
        state = torch.load(ckpt, weights_only=False)
        state["hyper_parameters"] = _old_paths(state.get("hyper_parameters", {}))
        torch.save(state, ckpt)
    for old in MOVED:
        sys.modules.pop(old, None)
    with pytest.warns(MovedPathWarning, match="'halite.nn.model' moved to 'halite.models.model'"):
        assert main(["test", "--config", str(config)]) == 0
    assert list((run / "predictions").glob("*.h5"))
    for old in MOVED:
        sys.modules.pop(old, None)
    capsys.readouterr()
    with pytest.warns(MovedPathWarning):
        code = main(["export", "--ckpt_path", str(run / "ckpts" / "last.ckpt"), "--parity-jets", "50"])
    assert code == 0 and "Parity check passed" in capsys.readouterr().out
