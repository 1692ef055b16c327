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
    assert printed.count("job.slurm") == 2 and "submit.sh  (run it to sbatch everything" in printed
    assert "--dependency" not in (out / "submit.sh").read_text()
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


def test_submit_writes_pretraining_and_dependent_finetuning_jobs(tmp_path: Path) -> None:
    """Subprocess: OLS and OLM wait for their halite pretrain jobs (afterok); OLS_RW for none."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    pre_dir = tmp_path / "pretrained"
    cmd = [sys.executable, "-m", "halite", *grid_args(tmp_path, "OLS,OLS_RW,OLM"), "--submit", "slurm",
           "--pretrained-dir", str(pre_dir), "--pretrain-epochs", "2", "--pretrain-num-train", "500",
           "--pretrain-args", "--workers 4 --base-dim 64", "--accelerator", "gpu"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "g" / "events_classification"
    for name, preset in (("pretrain_s", "small"), ("pretrain_m", "medium")):
        job = (out / f"{name}.slurm").read_text()
        assert f"-m halite pretrain --preset {preset} --out {pre_dir / name} " in job
        assert "--epochs 2 --num-train 500" in job and job.count("--accelerator gpu") == 1
        assert "--workers 4 --base-dim 64" in job
    ols = (out / "OLS" / "job.slurm").read_text()
    assert f"--model.pretrained {pre_dir / 'pretrain_s' / 'backbone.ckpt'}" in ols
    assert (
        f"--model.pretrained {pre_dir / 'pretrain_m' / 'backbone.ckpt'}"
        in (out / "OLM" / "job.slurm").read_text()
    )
    assert "--model.pretrained" not in (out / "OLS_RW" / "job.slurm").read_text()
    assert yaml.safe_load((out / "OLS_RW" / "config.yaml").read_text())["trainer"]["accelerator"] == "gpu"
    submit = (out / "submit.sh").read_text()
    assert f"pre_pretrain_s=$(sbatch --parsable {out / 'pretrain_s.slurm'})" in submit
    assert f"sbatch --dependency=afterok:$pre_pretrain_s {out / 'OLS' / 'job.slurm'}" in submit
    assert f"sbatch --dependency=afterok:$pre_pretrain_m {out / 'OLM' / 'job.slurm'}" in submit
    assert f"sbatch {out / 'OLS_RW' / 'job.slurm'}" in submit
    assert yaml.safe_load((out / "OLM" / "config.yaml").read_text())["model"]["model"]["init_args"]["backbone"][
        "init_args"]["preset"] == "medium"  # fmt: skip
    help_text = subprocess.run([sys.executable, "-m", "halite", "grid", "--help"], capture_output=True, text=True,
                               env=env, timeout=120, check=True).stdout  # fmt: skip
    assert "--use-omnilearned" in help_text and "--use-pretrained" in help_text and "--cond_only" in help_text


def test_seed_flags_define_the_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--use-omnilearned small --use-pretrained pretrain_s --cond_only: OLS (an existing backbone) and cond-only."""
    pre_dir = tmp_path / "pretrained"
    (pre_dir / "pretrain_s").mkdir(parents=True)
    (pre_dir / "pretrain_s" / "backbone.ckpt").write_bytes(b"x")
    args = [a for a in grid_args(tmp_path, "") if a not in ("--models", "")]
    flags = ["--use-omnilearned", "small", "--use-pretrained", "pretrain_s", "--cond_only"]
    assert main([*args, *flags, "--pretrained-dir", str(pre_dir), "--submit", "slurm"]) == 0
    out = tmp_path / "g" / "events_classification"
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["OLS", "cond-only"]
    assert not list(out.glob("pretrain_*.slurm"))  # the backbone exists: no pretraining job
    submit = (out / "submit.sh").read_text()
    assert "--dependency" not in submit and f"sbatch {out / 'OLS' / 'job.slurm'}" in submit
    # a former id is an alias of the seed's: pet2-small-scratch -> OLS_RW
    assert main([*grid_args(tmp_path, "pet2-small-scratch"), "--submit", "slurm"]) == 0
    assert (out / "OLS_RW" / "job.slurm").is_file()
    capsys.readouterr()
    with pytest.raises(Exception, match="no such checkpoint file"):
        main([*args, "--use-pretrained", str(tmp_path / "nope.pt"), "--submit", "slurm"])


def test_num_constituents_sets_the_stream_slots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--num-constituents N: every entry reads N slots of the sample's stream (hits for events); N < 1 refused."""
    args = grid_args(tmp_path, "cond-only,OLS_RW")
    assert main([*args, "--num-constituents", "16", "--submit", "slurm"]) == 0
    out = tmp_path / "g" / "events_classification"
    for model in ("cond-only", "OLS_RW"):
        assert yaml.safe_load((out / model / "config.yaml").read_text())["data"]["num_inputs"] == {"hits": 16}
    assert main([*grid_args(tmp_path, "vit"), "--submit", "slurm"]) == 0  # default: the config's 64
    assert yaml.safe_load((out / "vit" / "config.yaml").read_text())["data"]["num_inputs"] == {"hits": 64}
    capsys.readouterr()
    assert main([*args, "--num-constituents", "0", "--submit", "slurm"]) == 2
    assert "--num-constituents must be >= 1" in capsys.readouterr().err
