"""Start-up time of the ``halite`` command: wall and CPU seconds (median and minimum of N runs).

Usage: python bench/startup.py [--runs 5]

Each case runs as a fresh subprocess of this Python, with the ``halite`` importable from the
environment (``PYTHONPATH``), in a temporary directory:

- ``python -c pass``: the interpreter alone;
- ``import torch`` and ``import lightning``: the floor of every Lightning tool (``fit``, ``test``,
  ``validate``, ``predict`` build their parser from Lightning's ``Trainer``);
- ``halite --help``: the list of tools (imports no library);
- ``halite fit --help``: Lightning plus halite's parser;
- ``halite fit --config missing.yaml`` and ``--config broken.yaml`` (not valid YAML): errors found
  before Lightning is imported;
- ``halite fit --config bad_key.yaml`` (an unknown config key): an error of the parser itself.

CPU seconds (user + system of the child) vary less than wall seconds on a shared machine.
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "import torch": ["-c", "import torch"],
    "import lightning": ["-c", "import lightning"],
    "halite --help": ["-m", "halite", "--help"],
    "halite fit --help": ["-m", "halite", "fit", "--help"],
    "halite fit --config missing.yaml": ["-m", "halite", "fit", "--config", "missing.yaml"],
    "halite fit --config broken.yaml": ["-m", "halite", "fit", "--config", "broken.yaml"],
    "halite fit --config bad_key.yaml": ["-m", "halite", "fit", "--config", "bad_key.yaml"],
}


def write_configs(folder: Path) -> None:
    """The configs of the error cases: one not valid YAML, one with a key the parser refuses."""
    (folder / "broken.yaml").write_text("trainer:\n  max_epochs: [1\n")
    (folder / "bad_key.yaml").write_text("trainer:\n  max_epoch: 1\n")


def time_once(args: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``python <args>`` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, check=False, env=os.environ.copy())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="halite-startup-") as tmp:
        folder = Path(tmp)
        write_configs(folder)
        print(
            f"{'case':<34} {'wall median':>11} {'wall min':>9} {'cpu median':>11} {'cpu min':>8}   ({args.runs} runs)"
        )
        for name, case in CASES.items():
            runs = [time_once(case, folder) for _ in range(args.runs)]
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(
                f"{name:<34} {statistics.median(walls):>10.2f}s {min(walls):>8.2f}s "
                f"{statistics.median(cpus):>10.2f}s {min(cpus):>7.2f}s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
