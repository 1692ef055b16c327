"""glibc malloc thresholds: set once per process by LitModel.setup, unless the user opts out."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
from halite.training import allocator
first = allocator.tune_malloc()
print(first, allocator.tune_malloc())
"""


def run(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, env={**os.environ, **env}, check=True
    )
    return done.stdout.strip()


def test_thresholds_are_set_once_unless_opted_out() -> None:
    assert run({}) == ("True True" if sys.platform.startswith("linux") else "False False")
    assert run({"HALITE_MALLOC_TUNING": "0"}) == "False False"
    assert run({"MALLOC_MMAP_THRESHOLD_": "1048576"}) == "False False"  # the user's own setting wins
