"""Split Digits (CIL) and Permuted Digits (DIL): Finetuning vs EWC vs LwF vs replay vs Independent.

Runs every ``configs/continual/{split_digits_cil,permuted_digits_dil}_*.yaml`` as shipped and
prints the final average accuracy, backward transfer and average forgetting of each
(plus the mean and spread over ``--seeds`` seeds).

    python bench/continual_digits.py [--seeds 0 1 2] [--out /tmp/continual_bench]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import torch

from halite.commands import main

ROOT = Path(__file__).resolve().parents[1]
ALGORITHMS = ["finetuning", "ewc", "lwf", "replay", "independent"]
BENCHMARKS = ["split_digits_cil", "permuted_digits_dil"]


def final_summary(run_dir: Path) -> dict[str, float]:
    with (run_dir / "summary.csv").open() as f:
        last = list(csv.DictReader(f))[-1]
    return {k: float(last[k]) for k in ("average_accuracy", "backward_transfer", "average_forgetting")}


def run(config: Path, seed: int, out: Path) -> dict[str, float]:
    out = out / f"{config.stem}_seed{seed}"
    with contextlib.redirect_stdout(io.StringIO()):
        main(
            [
                "continual",
                "--config",
                str(config),
                "--seed_everything",
                str(seed),
                "--continual.output_dir",
                str(out),
            ]
        )
    (run_dir,) = out.glob("*_*")
    return final_summary(run_dir)


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--out", type=Path, default=None, help="run directories (default: a temporary folder)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = args.out or Path(tempfile.mkdtemp(prefix="continual_bench_"))
    print(f"seeds {args.seeds}; run directories under {out}")
    for bench in BENCHMARKS:
        print(f"\n{bench}: final average accuracy / average forgetting / BWT (mean +- std over seeds)")
        for algo in ALGORITHMS:
            res = [run(ROOT / "configs" / "continual" / f"{bench}_{algo}.yaml", s, out) for s in args.seeds]
            acc, fgt, bwt = (
                np.array([r[k] for r in res])
                for k in ("average_accuracy", "average_forgetting", "backward_transfer")
            )
            print(
                f"  {algo:12s} acc {acc.mean():.3f} +- {acc.std():.3f}   forgetting {fgt.mean():.3f} +- {fgt.std():.3f}"
                f"   BWT {bwt.mean():+.3f}"
            )


if __name__ == "__main__":
    main_bench()
