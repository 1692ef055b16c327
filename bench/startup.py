"""Start-up time of the ``halite`` command: wall and CPU seconds (median and minimum of N runs), with targets.

Usage: python bench/startup.py [--runs 5] [--skip-test]

Each case runs as a fresh subprocess of this Python, with the ``halite`` importable from the
environment (``PYTHONPATH``), in a temporary directory:

- floors: ``python -c pass``, ``import torch``, ``import lightning`` (every Lightning tool's parser
  is built from Lightning's ``Trainer``);
- ``halite --help`` (the list of tools; target 1 s) and ``halite <tool> --help`` for every tool
  (target 3 s). ``fit``, ``validate``, ``test``, ``predict`` and ``continual`` print the help text
  kept by their first ``--help`` (``halite/commands/_help_cache.py``); their rows ``(first call)``
  build the parser (an empty cache each run) and are shown against the same target;
- ``halite test`` of a tiny run (``configs/demo.yaml`` fitted for one epoch on 600 synthetic jets):
  seconds from the process start to the first call of the dataset's ``__iter__`` (data loading
  starts; target 3 s), to the first batch, and the whole command (300 jets); their CPU seconds are
  the child's own (``time.process_time()`` at the marks; the whole command's from ``getrusage``);
- ``halite fit --config missing.yaml`` / ``broken.yaml`` (not valid YAML): errors found before
  Lightning is imported; ``--config bad_key.yaml`` (an unknown key): an error of the parser itself.

CPU seconds (user + system of the child) vary less than wall seconds on a shared machine.
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: tools whose ``--help`` is printed from the kept text after the first call
CACHED = ("fit", "validate", "test", "predict", "continual")
#: a child that marks when ``JetDataset.__iter__`` is first called and yields its first batch
#: (wall-clock ``time.time()`` and the process's CPU seconds ``time.process_time()``, written to the
#: file named by ``HALITE_BENCH_MARKS``), then runs halite
TEST_PROBE = """
import json, os, sys, time
from halite.data import dataset

marks, path = {}, os.environ["HALITE_BENCH_MARKS"]
original = dataset.JetDataset.__iter__

def mark(name):
    if name not in marks:
        marks[name] = time.time()
        marks[name + "_cpu"] = time.process_time()
        with open(path, "w") as f:
            json.dump(marks, f)

def timed_iter(self):
    mark("iter")
    for batch in original(self):
        mark("batch")
        yield batch

dataset.JetDataset.__iter__ = timed_iter
from halite.commands import main
sys.exit(main(sys.argv[1:], catch=True))
"""


def write_configs(folder: Path) -> None:
    """The configs of the error cases: one not valid YAML, one with a key the parser refuses."""
    (folder / "broken.yaml").write_text("trainer:\n  max_epochs: [1\n")
    (folder / "bad_key.yaml").write_text("trainer:\n  max_epoch: 1\n")


def time_once(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``python <args>`` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, check=False, env=env or os.environ.copy()
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def tool_names() -> list[str]:
    """Every ``halite`` tool (the command's own list)."""
    sys.path.insert(0, str(ROOT))
    from halite.commands import tools

    return sorted(tools())


def tiny_run(folder: Path) -> Path:
    """A fitted tiny run of ``configs/demo.yaml`` in ``folder``: the path of its saved ``config.yaml``."""
    import yaml

    sys.path.insert(0, str(ROOT))
    from halite.data.prep import DEFAULT_VARIABLES, compute_class_dict, compute_norm_dict
    from halite.data.synthetic import write_splits

    data = write_splits(folder / "data", 600, 200, 300, seed=7)
    norm, classes = folder / "norm_dict.yaml", folder / "class_dict.yaml"
    norm.write_text(yaml.safe_dump(compute_norm_dict(data["train"], DEFAULT_VARIABLES)))
    labels = {"jets": ["flavour_label"], "tracks": ["ftagTruthOriginLabel"]}
    classes.write_text(yaml.safe_dump(compute_class_dict(data["train"], labels)))
    cfg = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    cfg["data"].update(
        train_file=str(data["train"]), val_file=str(data["val"]), test_file=str(data["test"]),
        norm_dict=str(norm), class_dict=str(classes), batch_size=100, num_workers=0,
    )  # fmt: skip
    trainer = cfg.setdefault("trainer", {})
    trainer.pop("devices", None)
    trainer.update(
        max_epochs=1, accelerator="cpu", enable_progress_bar=False, default_root_dir=str(folder / "logs")
    )
    config = folder / "tiny_demo.yaml"
    config.write_text(yaml.safe_dump(cfg))
    done = subprocess.run(
        [sys.executable, "-m", "halite", "fit", "--config", str(config)],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        msg = f"halite fit of the tiny run failed:\n{done.stderr[-3000:]}"
        raise RuntimeError(msg)
    (saved,) = (folder / "logs").glob("*/config.yaml")
    return saved


def test_startup_once(run_config: Path, cwd: Path) -> tuple[float, float, float, float, float, float]:
    """Wall seconds to data loading, to the first batch, of the whole command, then the CPU seconds of each."""
    marks_file = cwd / "marks.json"
    marks_file.unlink(missing_ok=True)
    env = {**os.environ, "HALITE_BENCH_MARKS": str(marks_file)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = before.ru_utime + before.ru_stime
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-c", TEST_PROBE, "test", "--config", str(run_config)], cwd=cwd, capture_output=True,
        text=True, env=env,
    )  # fmt: skip
    total = time.time() - start
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode or not marks_file.is_file():
        msg = f"halite test failed (status {done.returncode}):\n{done.stderr[-3000:]}"
        raise RuntimeError(msg)
    marks = json.loads(marks_file.read_text())
    return (
        marks["iter"] - start, marks["batch"] - start, total,
        marks["iter_cpu"], marks["batch_cpu"], cpu.ru_utime + cpu.ru_stime - children_cpu,
    )  # fmt: skip


def row(name: str, walls: list[float], cpus: list[float] | None, target: float | None) -> str:
    """One line of the table: medians, minima and the target (``ok`` when the wall median meets it)."""
    cpu = f"{statistics.median(cpus):>10.2f}s {min(cpus):>7.2f}s" if cpus else f"{'-':>11s} {'-':>8s}"
    aim = f"{target:>6.1f}s {'ok' if statistics.median(walls) < target else 'MISSED':>6s}" if target else ""
    return f"{name:<44} {statistics.median(walls):>10.2f}s {min(walls):>8.2f}s {cpu} {aim}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--skip-test", action="store_true", help="leave out the `halite test` start-up rows")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="halite-startup-") as tmp:
        folder = Path(tmp)
        write_configs(folder)
        kept = {**os.environ, "HALITE_CACHE_DIR": str(folder / "cache")}  # warmed by the first call
        print(
            f"{'case':<44} {'wall median':>11} {'wall min':>9} {'cpu median':>11} {'cpu min':>8} "
            f"{'target':>7} {'':>6}   ({args.runs} runs)",
            flush=True,
        )

        def case(name: str, run: Callable[[], tuple[float, float]], target: float | None) -> None:
            runs = [run() for _ in range(args.runs)]
            print(row(name, [w for w, _ in runs], [c for _, c in runs], target), flush=True)

        for name, argv_ in (("python -c pass", ["-c", "pass"]), ("import torch", ["-c", "import torch"]),
                            ("import lightning", ["-c", "import lightning"])):  # fmt: skip
            case(name, lambda a=argv_: time_once(a, folder), None)
        case("halite --help", lambda: time_once(["-m", "halite", "--help"], folder, kept), 1.0)
        for tool in tool_names():
            help_args = ["-m", "halite", tool, "--help"]
            if tool in CACHED:
                time_once(help_args, folder, kept)  # the first call keeps the text
            case(f"halite {tool} --help", lambda a=help_args: time_once(a, folder, kept), 3.0)
        for tool in CACHED:

            def first_call(t: str = tool) -> tuple[float, float]:
                empty = tempfile.mkdtemp(dir=folder)  # nothing kept: the parser is built
                return time_once(
                    ["-m", "halite", t, "--help"], folder, {**os.environ, "HALITE_CACHE_DIR": empty}
                )

            case(f"halite {tool} --help (first call)", first_call, 3.0)
        for config in ("missing.yaml", "broken.yaml", "bad_key.yaml"):
            case(f"halite fit --config {config}", lambda c=config: time_once(["-m", "halite", "fit", "--config", c], folder), None)  # fmt: skip
        if not args.skip_test:
            run_config = tiny_run(folder)
            runs = [test_startup_once(run_config, folder) for _ in range(args.runs)]
            for i, name in enumerate(("start -> data loading starts", "start -> first batch")):
                print(row(f"halite test: {name}", [r[i] for r in runs], [r[i + 3] for r in runs], 3.0))
            print(
                row("halite test: whole command (300 jets)", [r[2] for r in runs], [r[5] for r in runs], None)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
