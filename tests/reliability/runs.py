"""Helpers of the fault tests: a tiny deterministic config and `halite fit` subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml

from halite.training.checkpoint_io import safe_load
from tests.conftest import ROOT, tiny_config

#: batches per epoch of ``small_config`` (num_train / batch_size)
BATCHES_PER_EPOCH = 8

#: makes `torch.save` write half a checkpoint, then hang, at its N-th call (N = argv[1])
HANG_IN_SAVE = """
import io, sys, time
from pathlib import Path
import torch
import halite.training.checkpoint_io as cio
calls, hang_at, marker = [0], int(sys.argv[1]), Path(sys.argv[2])
real_save = torch.save
def save(obj, f, *args, **kwargs):
    calls[0] += 1
    if calls[0] < hang_at:
        return real_save(obj, f, *args, **kwargs)
    buf = io.BytesIO()
    real_save(obj, buf, *args, **kwargs)
    data = buf.getvalue()
    with open(f, "wb") as fh:
        fh.write(data[: len(data) // 2])
        fh.flush()
    marker.write_text(str(f))
    time.sleep(600)
cio.torch.save = save
from halite.commands import main
sys.exit(main(sys.argv[3:]))
"""


def small_config(data: dict[str, Path], out: Path, **top: object) -> Path:
    """A seeded, deterministic, 2-epoch run of a tiny model with dropout (so RNG state matters)."""
    cfg = yaml.safe_load(tiny_config("demo.yaml", data, out).read_text())
    cfg["data"].update(num_train=50 * BATCHES_PER_EPOCH, num_val=100, batch_size=50)
    net = cfg["model"]["model"]["init_args"]
    dense = {"hidden_layers": [16], "activation": "SiLU", "dropout": 0.1}
    net["init_nets"][0]["dense_config"] = dense
    net["encoder"]["init_args"].update(embed_dim=16, num_layers=1, num_heads=2, out_dim=16)
    for task in net["tasks"]:
        task["init_args"]["dense_config"] = dense
    cfg["trainer"].update(max_epochs=2, deterministic=True, log_every_n_steps=1, enable_model_summary=False)
    cfg.update({"seed_everything": 3, "ckpt_every_n_steps": 3, **top})
    path = out / "small.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def env() -> dict[str, str]:
    """Environment of the subprocesses: this checkout first, one thread (as the tests)."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e["OMP_NUM_THREADS"] = "1"
    return e


def start_fit(*args: str, wrapper: list[str] | None = None) -> subprocess.Popen:
    """Start `python -m halite fit ARGS` (or a wrapper script with the same argv)."""
    cmd = [sys.executable, "-m", "halite"] if wrapper is None else [sys.executable, "-c", *wrapper]
    return subprocess.Popen(
        [*cmd, "fit", *args],
        cwd=ROOT,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(proc: subprocess.Popen, path_glob: tuple[Path, str], timeout: float = 120) -> Path:
    """Poll until a file matching ``path_glob`` exists; fail with the output if the process ends."""
    root, pattern = path_glob
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = sorted(root.glob(pattern))
        if found:
            return found[0]
        if proc.poll() is not None:
            msg = f"process ended (rc={proc.returncode}) before {pattern} appeared:\n{proc.stdout.read()}"  # type: ignore[union-attr]
            raise AssertionError(msg)
        time.sleep(0.005)
    proc.kill()
    raise AssertionError(f"timeout waiting for {root}/{pattern}")


def wait_for_step(proc: subprocess.Popen, ckpt: Path, above: int, timeout: float = 120) -> int:
    """Poll ``ckpt`` (replaced atomically, so always complete) until its global step exceeds ``above``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ckpt.is_file():
            step = int(safe_load(ckpt)["global_step"])
            if step > above:
                return step
        if proc.poll() is not None:
            msg = f"process ended (rc={proc.returncode}) before {ckpt} passed step {above}:\n{proc.stdout.read()}"  # type: ignore[union-attr]
            raise AssertionError(msg)
        time.sleep(0.005)
    proc.kill()
    raise AssertionError(f"timeout waiting for {ckpt} to pass step {above}")


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> int:
    proc.send_signal(sig)
    proc.wait(timeout=120)
    return proc.returncode


def run_fit(*args: str) -> str:
    """Run `halite fit` to completion in a subprocess; return its output."""
    res = subprocess.run(
        [sys.executable, "-m", "halite", "fit", *args],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout + res.stderr


def the_run(logs: Path) -> Path:
    (run,) = [d for d in logs.iterdir() if d.is_dir()]
    return run


def weights(ckpt: Path) -> dict[str, torch.Tensor]:
    return safe_load(ckpt)["state_dict"]


def max_abs_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)
