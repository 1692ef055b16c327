"""``bench/gpu.py``: its CPU smoke mode end to end (what CI runs of it), and its table."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def load_gpu_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_gpu", ROOT / "bench" / "gpu.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_smoke_runs_halite_end_to_end_and_prints_the_table(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, str(ROOT / "bench" / "gpu.py"), "--device", "cpu", "--smoke", "--no-salt"]
    done = subprocess.run(
        [*cmd, "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:2] == ["batch", "framework"])
    assert lines[head].split() == [
        "batch", "framework", "train", "[jets/s]", "test", "[jets/s]", "fit", "RSS", "[MiB]", "test", "RSS",
        "[MiB]", "train", "MFU", "test", "MFU",
    ]  # fmt: skip
    row = re.fullmatch(
        r"\s*20\s+halite\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)%\s+([\d.]+)%", lines[head + 1]
    )
    assert row, lines[head + 1]
    train, test, rss_fit, rss_test = (float(g.replace(",", "")) for g in row.groups()[:4])
    assert train > 0 and test > 0 and rss_test >= rss_fit > 0
    assert 0 < float(row.group(5)) <= 100 and 0 < float(row.group(6)) <= 100
    flops = re.search(r"forward ([\d.]+) M, forward \+ backward ([\d.]+) M", done.stdout)
    assert flops and 2 * float(flops.group(1)) < float(
        flops.group(2)
    )  # backward costs about twice the forward
    assert "on cpu" in lines[0] and "precision 32" in lines[0]
    assert (
        len(list((tmp_path / "runs").glob("gpu_halite_20_*/*/config.yaml"))) == 1
    )  # one fit, its run directory


def test_table_ratios_and_mfu() -> None:
    gpu = load_gpu_bench()
    rows = [
        {"batch": 1000, "framework": "salt", "attn": "torch-flash", "train": 1000.0, "test": 4000.0,
         "mem_fit": 2000.0, "mem_test": 1000.0},
        {"batch": 1000, "framework": "halite", "attn": None, "train": 3000.0, "test": 6000.0,
         "mem_fit": 1000.0, "mem_test": 500.0},
    ]  # fmt: skip
    lines = gpu.table(rows, "GPU [MiB]", peak=1e12, flops=(1e6, 3e6))
    assert lines[1].split()[:3] == ["1000", "salt", "(torch-flash)"]
    assert lines[1].split()[-2:] == ["0.30%", "0.40%"]  # 1000 * 3e6 / 1e12, 4000 * 1e6 / 1e12
    assert lines[2].split()[-2:] == ["0.90%", "0.60%"]
    assert lines[3].split() == ["1000", "halite/salt", "3.00x", "1.50x", "0.50x", "0.50x"]
