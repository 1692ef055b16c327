"""A continual run on Lightning, SIGKILLed in the middle of task 3, resumes there and ends with the
weights and scores of an uninterrupted run; the plain torch engine gives the same weights; a
2-process CPU DDP continual run. (Resuming with nothing to resume: the error corpus.)"""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
from pathlib import Path

import torch
import yaml

from halite.training.checkpoint_io import safe_load
from tests.conftest import ROOT
from tests.reliability.runs import env, kill, the_run, wait_for

#: saves the checkpoint, then hangs, at the first step checkpoint of task argv[1] at or after step argv[2]
HANG_AFTER_SAVE = """
import sys, time
from pathlib import Path
import halite.training.checkpoint_io as cio
task, at_step, marker = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
real = cio.AtomicCheckpointIO.save_checkpoint
def save(self, checkpoint, path, storage_options=None):
    real(self, checkpoint, path, storage_options)
    if Path(path).parent.name == task and checkpoint["global_step"] >= at_step:
        part = marker.with_name(marker.name + ".part")  # the test sees the marker only once it is complete
        part.write_text(str(checkpoint["global_step"]))
        part.rename(marker)
        time.sleep(600)
cio.AtomicCheckpointIO.save_checkpoint = save
from halite.commands import main
sys.exit(main(sys.argv[4:]))
"""

#: steps of each task: 2 epochs of 8 batches (250 samples of two digits, batches of 32)
STEPS_PER_TASK = 16


def digits_config(out: Path, algorithm: dict, **training: object) -> Path:
    """Three Split Digits tasks, an MLP with dropout (so the generators matter), 2 epochs each."""
    cfg = {
        "name": "resume",
        "seed_everything": 5,
        "continual": {
            "paradigm": "til",
            "benchmark": {
                "class_path": "halite.continual.SplitDigits",
                "init_args": {"tasks": [{"classes": [0, 1]}, {"classes": [2, 3]}, {"classes": [4, 5]}]},
            },
            "backbone": {
                "class_path": "halite.continual.MLPBackbone",
                "init_args": {
                    "input_name": "digits",
                    "mlp": {"hidden_layers": [32], "output_size": 16, "dropout": 0.2},
                },
            },
            "algorithm": algorithm,
            "training": {"epochs": 2, "batch_size": 32, "progress_bar": False, **training},
            "output_dir": str(out / "logs"),
        },
    }
    path = out / "continual.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def halite(*args: str, wrapper: list[str] | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "halite"] if wrapper is None else [sys.executable, "-c", *wrapper]
    return subprocess.Popen(
        [*cmd, *args], cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-4000:]
    return out


def scores(run: Path) -> list[dict[str, str]]:
    with (run / "accuracy_matrix.csv").open() as f:
        return list(csv.DictReader(f))


DERPP = {"class_path": "halite.continual.DERpp", "init_args": {"buffer_size": 64}}


def test_sigkill_in_task_3_resumes_to_identical_weights(tmp_path: Path) -> None:
    ref_dir, cut_dir = tmp_path / "reference", tmp_path / "killed"
    ref_dir.mkdir()
    cut_dir.mkdir()
    reference = halite("continual", "--config", str(digits_config(ref_dir, DERPP, ckpt_every_n_steps=3)))
    marker = tmp_path / "saved"
    cfg = digits_config(cut_dir, DERPP, ckpt_every_n_steps=3)
    proc = halite("continual", "--config", str(cfg), wrapper=[HANG_AFTER_SAVE, "task3", "3", str(marker)])
    wait_for(proc, (tmp_path, "saved"), timeout=300)
    assert kill(proc) == -signal.SIGKILL
    run = the_run(cut_dir / "logs")
    step = int(marker.read_text())
    assert 0 < step < STEPS_PER_TASK and step % 8, f"not killed mid-epoch of task 3: step {step}"
    assert not (run / "model.pt").exists()
    assert sorted(p.name for p in (run / "ckpts").glob("task*_start.pt")) == [
        f"task{t}_start.pt" for t in (1, 2, 3)
    ]
    assert safe_load(run / "ckpts" / "task3" / "last.ckpt")["continual"]["task_id"] == 3

    out = finish(halite("continual", "--config", str(run / "config.yaml"), "--ckpt_path", "last"))
    assert f"resuming {run} in task 3/3" in out
    assert "task 1/3" not in out and "task 3/3 'digits_4_5'" in out
    finish(reference)
    ref_run = the_run(ref_dir / "logs")
    want, got = torch.load(ref_run / "model.pt"), torch.load(run / "model.pt")
    assert sorted(want) == sorted(got)
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0, msg=key)
    assert scores(run) == scores(ref_run)
    assert list(run.glob("metrics.before-*.csv")), "the killed run's metrics.csv is kept"

    # the plain torch engine trains the same weights (same draws, same hook order)
    torch_dir = tmp_path / "torch"
    torch_dir.mkdir()
    finish(halite("continual", "--config", str(digits_config(torch_dir, DERPP, engine="torch"))))
    plain = torch.load(the_run(torch_dir / "logs") / "model.pt")
    for key in want:
        torch.testing.assert_close(plain[key], want[key], rtol=0, atol=0, msg=key)


def test_two_process_ddp_continual_run(tmp_path: Path) -> None:
    ewc = {"class_path": "halite.continual.EWC", "init_args": {"lam": 10.0, "fisher_samples": 32}}
    cfg = digits_config(tmp_path, ewc, devices=2, strategy="ddp", lr=0.01)
    out = finish(halite("continual", "--config", str(cfg)))
    assert "Starting with 2 processes" in out or "MEMBER: 2/2" in out
    assert out.count("task 3/3 'digits_4_5'") == 1, "rank 0 alone reports"
    (run,) = (tmp_path / "logs").iterdir()
    rows = scores(run)
    assert len(rows) == 3 and float(rows[0]["digits_0_1"]) > 0.9
    ckpt = safe_load(run / "ckpts" / "task1" / "last.ckpt")
    # 250 samples over 2 ranks: 125 each, 4 batches of 32 per epoch, 2 epochs
    assert ckpt["global_step"] == 8
    state = torch.load(run / "model.pt")
    assert {k.split(".")[2] for k in state if k.startswith("heads.heads.")} == {"1", "2", "3"}
    with (run / "metrics.csv").open() as f:
        logged = list(csv.DictReader(f))
    assert {r["task"] for r in logged if r["task"]} == {"1.0", "2.0", "3.0"}
