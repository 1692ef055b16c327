"""Runs of 1, 2 and 10 optimiser steps train (the one-cycle schedule without a warm-up step)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from halite.commands import main
from tests.conftest import tiny_config


@pytest.mark.parametrize("steps", [1, 2])
def test_demo_fits_one_or_two_steps_in_process(
    steps: int, tiny_data: dict[str, Path], tmp_path: Path
) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path, num_train=50 * steps, batch_size=50, num_val=50)
    main(["fit", "--config", str(cfg)])
    (run,) = list((tmp_path / "logs").glob("*_*"))
    ckpt = torch.load(run / "ckpts" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == steps
    (sched,) = ckpt["lr_schedulers"]
    assert sched["last_epoch"] == steps


def test_the_issue_command_line_trains_ten_steps(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    """`halite fit --config configs/demo.yaml --data.num_train 500 --data.batch_size 50 --trainer.max_epochs 1`."""
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "halite", "fit", "--config", str(cfg), "--data.num_train", "500",
         "--data.batch_size", "50", "--trainer.max_epochs", "1"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    (run,) = list((tmp_path / "logs").glob("*_*"))
    ckpt = torch.load(run / "ckpts" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == 10
