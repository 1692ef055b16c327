"""Split Digits (CIL, TIL) and Permuted Digits (DIL): every continual-learning method, 3 seeds.

Runs ``configs/continual/split_digits_cil_<method>.yaml`` (class-incremental),
``configs/continual/permuted_digits_dil_<method>.yaml`` (domain-incremental) and, for the
task-incremental table, the same ``split_digits_cil_<method>.yaml`` with
``--continual.paradigm til`` plus the til-only methods' ``split_digits_til_<method>.yaml``
(HAT needs the task id at test time). Each run changes only the seed and, with ``--epochs``,
the epochs per task. It prints, per method, the final (after the last task) average
accuracy, backward transfer (BWT), forward transfer (FWT) and average forgetting as
mean +- std over the seeds (numpy's population std), as a markdown table.

Defaults: seeds 0 1 2, 5 epochs per task (the configs ship 10: ``--epochs 0`` keeps them),
all three paradigms: about 8 minutes on 2 CPU cores. Never part of ``make test``.

    python bench/continual_digits.py [--seeds 0 1 2] [--epochs 5] [--paradigms cil dil til]
                                     [--methods ewc der ...] [--out /tmp/continual_bench]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from halite.commands import main

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs" / "continual"
#: methods with a split_digits_cil_<m>.yaml and a permuted_digits_dil_<m>.yaml, in table order
ALGORITHMS = [
    "finetuning",
    "fix",
    "random",
    "independent",
    "ewc",
    "si",
    "lwf",
    "replay",
    "agem",
    "der",
    "derpp",
]
#: methods that only run task-incrementally, from split_digits_til_<m>.yaml
TIL_ONLY = ["hat"]
PARADIGMS = {
    "cil": "Split Digits, class-incremental (cil): 5 tasks of 2 digits, no task id at test time",
    "dil": "Permuted Digits, domain-incremental (dil): 5 pixel permutations of all 10 digits, one head",
    "til": "Split Digits, task-incremental (til): 5 tasks of 2 digits, the task id given at test time "
    "(split_digits_cil_<m>.yaml with --continual.paradigm til; hat from split_digits_til_hat.yaml)",
}
METRICS = ("average_accuracy", "backward_transfer", "forward_transfer", "average_forgetting")


def runs(paradigm: str, methods: list[str]) -> list[tuple[str, Path, list[str]]]:
    """``(method, config, extra CLI arguments)`` of one table."""
    if paradigm == "dil":
        return [(m, CONFIGS / f"permuted_digits_dil_{m}.yaml", []) for m in methods if m in ALGORITHMS]
    if paradigm == "cil":
        return [(m, CONFIGS / f"split_digits_cil_{m}.yaml", []) for m in methods if m in ALGORITHMS]
    til = [
        (m, CONFIGS / f"split_digits_cil_{m}.yaml", ["--continual.paradigm", "til"])
        for m in methods
        if m in ALGORITHMS
    ]
    return til + [(m, CONFIGS / f"split_digits_til_{m}.yaml", []) for m in methods if m in TIL_ONLY]


def final_summary(run_dir: Path) -> dict[str, float]:
    """The last row (after the last task) of a run's summary.csv."""
    with (run_dir / "summary.csv").open() as f:
        last = list(csv.DictReader(f))[-1]
    return {k: float(last[k]) for k in METRICS}


def run(config: Path, extra: list[str], seed: int, epochs: int, out: Path) -> dict[str, float]:
    """One continual run; returns its final summary."""
    tag = "_".join([config.stem, *extra[1::2]])
    out = out / f"{tag}_seed{seed}"
    args = ["continual", "--config", str(config), *extra, "--seed_everything", str(seed)]
    if epochs > 0:
        args += ["--continual.training.epochs", str(epochs)]
    # the plain loop: the Lightning engine trains the same weights (tests/reliability/test_continual_resume.py),
    # without per-task checkpoints and validation, which 100+ short runs do not need
    args += ["--continual.training.engine", "torch"]
    with contextlib.redirect_stdout(io.StringIO()):
        main([*args, "--continual.output_dir", str(out)])
    (run_dir,) = out.glob("*_*")
    return final_summary(run_dir)


def table_row(method: str, results: list[dict[str, float]]) -> str:
    """``| method | acc | BWT | FWT | forgetting |`` with mean +- std over seeds."""
    cells = []
    for k in METRICS:
        v = np.array([r[k] for r in results])
        cells.append(
            f"{v.mean():+.3f} ± {v.std():.3f}"
            if k != "average_accuracy"
            else f"{v.mean():.3f} ± {v.std():.3f}"
        )
    return f"| {method} | " + " | ".join(cells) + " |"


def main_bench() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per task (0: as in the configs, 10)")
    parser.add_argument("--paradigms", nargs="+", default=list(PARADIGMS), choices=list(PARADIGMS))
    parser.add_argument("--methods", nargs="+", default=ALGORITHMS + TIL_ONLY, choices=ALGORITHMS + TIL_ONLY)
    parser.add_argument(
        "--out", type=Path, default=None, help="run directories (default: a temporary folder)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = args.out or Path(tempfile.mkdtemp(prefix="continual_bench_"))
    epochs = f"{args.epochs} epochs per task" if args.epochs > 0 else "epochs as in the configs"
    print(f"seeds {args.seeds}; {epochs}; run directories under {out}")
    start = time.perf_counter()
    for paradigm in args.paradigms:
        print(f"\n{PARADIGMS[paradigm]}\n")
        print("| method | average accuracy | BWT | FWT | forgetting |")
        print("|---|---|---|---|---|")
        for method, config, extra in runs(paradigm, args.methods):
            res = [run(config, extra, s, args.epochs, out) for s in args.seeds]
            print(table_row(method, res), flush=True)
    print(
        f"\nfinal values after the last task, mean ± std over {len(args.seeds)} seeds; {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main_bench()
