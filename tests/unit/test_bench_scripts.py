"""The benchmark scripts start (``--help``); their numbers come from ``make bench``, not tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", ["vs_salt.py", "limits.py", "memory.py", "startup.py"])
def test_bench_script_help(script: str) -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert res.returncode == 0, res.stderr
    assert "usage:" in res.stdout.lower()
    assert "make test" in res.stdout  # the docstring says it is never part of it


def test_makefile_bench_runs_every_script() -> None:
    bench = (ROOT / "Makefile").read_text().split("\nbench:")[1].split("\n\n")[0]
    for script in ("vs_salt.py", "limits.py", "memory.py", "startup.py"):
        assert f"bench/{script}" in bench
