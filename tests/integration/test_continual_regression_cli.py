"""Continual regression end to end: ``python -m halite fit`` on a drifting-jets pt config writes the resolution metrics."""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import CONFIGS

ROOT = Path(__file__).resolve().parents[2]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_regression_config_through_halite_subprocess(tmp_path: Path) -> None:
    cfg = yaml.safe_load((CONFIGS / "continual" / "drifting_jets_dil_ewc_pt.yaml").read_text())
    cfg["continual"]["benchmark"]["init_args"]["tasks"] = cfg["continual"]["benchmark"]["init_args"]["tasks"][
        :3
    ]
    path = tmp_path / "pt.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    overrides = [
        "--continual.benchmark.init_args.num_train=200",
        "--continual.benchmark.init_args.num_test=200",
        "--continual.training.epochs=1",
        "--continual.algorithm.init_args.fisher_samples=32",
        f"--continual.output_dir={tmp_path / 'logs'}",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "halite", "fit", "--config", str(path), *overrides],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "final: average_resolution" in proc.stdout
    (run_dir,) = (tmp_path / "logs").glob("drifting_jets_dil_ewc_pt_*")
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())["continual"]
    assert saved["objective"] == "regression" and saved["regression"]["target"] == "log"
    assert saved["benchmark"]["init_args"]["num_train"] == 200

    names = ["nominal", "low_jes", "degraded_tracker"]
    matrix = _csv(run_dir / "resolution_matrix.csv")
    assert [r["after_task"] for r in matrix] == names and list(matrix[0])[1:] == names
    for t, row in enumerate(matrix):  # lower triangle filled, finite and > 0; the rest empty
        for i, name in enumerate(names):
            if i <= t:
                assert math.isfinite(float(row[name])) and float(row[name]) > 0
            else:
                assert row[name] == ""
    summary = _csv(run_dir / "summary.csv")
    assert list(summary[0]) == [
        "after_task",
        "task",
        "average_resolution",
        "backward_transfer",
        "forward_transfer",
        "average_forgetting",
    ]
    assert [r["after_task"] for r in summary] == ["1", "2", "3"]  # task ids from 1
    assert summary[0]["forward_transfer"] == ""  # no transfer before a second task
    for row in summary[1:]:
        for key in ("average_resolution", "backward_transfer", "forward_transfer", "average_forgetting"):
            assert math.isfinite(float(row[key]))
    last = [float(matrix[2][n]) for n in names]
    assert math.isclose(float(summary[2]["average_resolution"]), sum(last) / 3, abs_tol=1e-6)
    fwt = _csv(run_dir / "forward_transfer.csv")
    assert [r["task_id"] for r in fwt] == ["2", "3"]
    for row in fwt:  # lower is better: transfer = random-init resolution - resolution before learning
        gain = float(row["random_init_resolution"]) - float(row["resolution_before_learning"])
        assert math.isclose(float(row["forward_transfer"]), gain, abs_tol=2e-6)
    for png in ("resolution_matrix.png", "average_resolution.png"):
        assert (run_dir / png).read_bytes()[:4] == b"\x89PNG"
    assert not (run_dir / "accuracy_matrix.csv").exists()
    assert (run_dir / "model.pt").is_file()


def test_regression_refuses_lwf_as_a_config_error(tmp_path: Path) -> None:
    from halite.commands import main

    cfg = CONFIGS / "continual" / "drifting_jets_dil_finetuning_pt.yaml"
    args = ["fit", "--config", str(cfg), f"--continual.output_dir={tmp_path}"]
    with pytest.raises(
        ValueError, match=r"continual.algorithm LwF distils .* continual.objective: regression"
    ):
        main([*args, "--continual.algorithm=halite.continual.LwF"])
    with pytest.raises(
        ValueError, match=r"continual.paradigm 'cil' is not offered for continual.objective: regression"
    ):
        main([*args, "--continual.paradigm=cil"])
    assert not list(tmp_path.iterdir())  # refused before any run directory is made
