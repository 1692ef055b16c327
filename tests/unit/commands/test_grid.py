"""``halite grid`` without training: job scripts (--submit slurm) and the table of finished runs (--collect)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from halite.commands import main


def grid_args(tmp_path: Path, models: str) -> list[str]:
    return ["grid", "--models", models, "--sample", "events", "--task", "classification",
            "--out-dir", str(tmp_path / "g"), "--data-dir", str(tmp_path / "d"),
            "--num-train", "40", "--num-eval", "20", "--max-epochs", "1"]  # fmt: skip


def test_submit_writes_a_job_per_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*grid_args(tmp_path, "cond-only,vit"), "--submit", "slurm"]) == 0
    out = tmp_path / "g" / "events_classification"
    for model, name in (("cond-only", "cond_only"), ("vit", "vit")):
        script = (out / model / "job.slurm").read_text()
        assert f"--job-name=halite-{name}" in script and "-m halite fit --config" in script
        assert "--model.pretrained" not in script
        assert yaml.safe_load((out / model / "config.yaml").read_text())["name"] == name
    printed = capsys.readouterr().out
    assert printed.count("job.slurm  (sbatch it;") == 2
    assert (tmp_path / "d" / "events" / "norm_dict.yaml").is_file()


def test_collect_skips_unfinished_and_tabulates_finished(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = grid_args(tmp_path, "cond-only,vit")
    assert main([*args, "--collect"]) == 0
    printed = capsys.readouterr().out
    assert "cond-only: no finished run" in printed and "vit: no finished run" in printed
    # a finished cond-only run: its predictions file in <run>/logs/cond_only_<time>/predictions/
    pred_dir = tmp_path / "g" / "events_classification" / "cond-only" / "logs" / "cond_only_0" / "predictions"
    pred_dir.mkdir(parents=True)
    events = np.zeros(
        4, dtype=[("pion_class", "i4")] + [(f"cond_only_p{c}", "f4") for c in ("0pi", "1pi", "2pi+")]
    )
    events["pion_class"] = [0, 1, 2, 1]
    events["cond_only_p0pi"] = [0.8, 0.1, 0.1, 0.6]
    events["cond_only_p1pi"] = [0.1, 0.8, 0.1, 0.3]
    events["cond_only_p2pi+"] = [0.1, 0.1, 0.8, 0.1]
    with h5py.File(pred_dir / "test.h5", "w") as f:
        f.create_dataset("events", data=events)
    assert main([*args, "--collect"]) == 0
    printed = capsys.readouterr().out
    assert "vit: no finished run" in printed
    assert "| cond-only | 0.75 |" in printed
    table = (tmp_path / "g" / "events_classification" / "results.md").read_text()
    assert "| cond-only | 0.75 |" in table and "| vit |" not in table
    (row,) = json.loads((tmp_path / "g" / "events_classification" / "results.json").read_text())
    assert row["parameters"] == -1 and math.isnan(row["train_time_s"])
