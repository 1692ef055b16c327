"""The benchmark scripts start (``--help``); their numbers come from ``make bench``, not tests."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "script", ["vs_salt.py", "limits.py", "memory.py", "startup.py", "continual_digits.py", "pythia_speed.py"]
)
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


def test_continual_digits_runs_every_method() -> None:
    """Every split_digits_cil_* / permuted_digits_dil_* / split_digits_til_<m> config is in a table."""
    spec = importlib.util.spec_from_file_location("continual_digits", ROOT / "bench" / "continual_digits.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    configs = ROOT / "configs" / "continual"
    for prefix in ("split_digits_cil_", "permuted_digits_dil_"):
        assert sorted(p.stem.removeprefix(prefix) for p in configs.glob(f"{prefix}*.yaml")) == sorted(
            bench.ALGORITHMS
        )
    assert sorted(
        p.stem.removeprefix("split_digits_til_") for p in configs.glob("split_digits_til_*.yaml")
    ) == sorted(bench.TIL_ONLY)
    every = bench.ALGORITHMS + bench.TIL_ONLY
    for paradigm in ("cil", "dil", "til"):
        rows = bench.runs(paradigm, every)
        assert all(config.is_file() for _, config, _ in rows)
        assert [m for m, _, _ in rows] == (every if paradigm == "til" else bench.ALGORITHMS)
