"""Continual learning under drifting detector conditions: a flavour tagger and a jet-energy regression.

Four tasks of synthetic jets (``halite.continual.drift.DriftingJets``: nominal, a low
jet-energy scale, a degraded tracker, a high jet-energy smearing) are learnt in turn by every
algorithm registered in ``halite.continual.algorithms`` (default settings), once as a b / c /
light tagger (score: accuracy) and once as a regression of ``pt_truth`` (score: relative
resolution, ``halite.continual.regression``; lower is better, signs of BWT / FWT / forgetting
as in ``halite.continual.metrics``: positive BWT / FWT = improvement, positive forgetting =
loss). Prints, per method, the final average score, BWT, FWT and average forgetting (mean +-
std over seeds). Not part of ``make test``; the default run takes a few minutes on 2 cores.

    python bench/continual_physics.py [--seeds 0 1 2] [--num-train 2000] [--epochs 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import inspect
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from halite.continual import algorithms
from halite.continual.algorithms import ContinualAlgorithm
from halite.continual.backbones import MLPBackbone, MLPConfig
from halite.continual.data import TaskData
from halite.continual.drift import DriftingJets
from halite.continual.evaluation import random_init_scores
from halite.continual.learner import Learner
from halite.continual.loop import TrainingConfig, run_sequence
from halite.continual.metrics import summarise, write_continual_metrics
from halite.continual.regression import RegressionLearner

SCORE = {"flavour": "accuracy", "pt": "resolution"}
COLUMNS = ("backward_transfer", "forward_transfer", "average_forgetting")


def registered() -> list[tuple[str, type[ContinualAlgorithm]]]:
    """Every concrete algorithm class exported by ``halite.continual.algorithms``."""
    out = []
    for name in algorithms.__all__:
        cls = getattr(algorithms, name)
        if inspect.isclass(cls) and issubclass(cls, ContinualAlgorithm) and cls is not ContinualAlgorithm:
            out.append((name, cls))
    return out


def make_learner(target: str, tasks: list[TaskData], args: argparse.Namespace) -> Learner | RegressionLearner:
    backbone = MLPBackbone("jet", MLPConfig(hidden_layers=list(args.hidden), output_size=args.hidden[-1]))
    backbone.build(DriftingJets(num_tracks=args.num_tracks).input_info())
    if target == "pt":
        y = tasks[0].train.y
        return RegressionLearner(
            backbone,
            args.paradigm,
            target="log",
            statistic=args.statistic,
            y_mean=float(y.mean()),
            y_std=float(y.std()),
        )
    return Learner(backbone, args.paradigm)


def run_one(
    target: str,
    algo: ContinualAlgorithm,
    tasks: list[TaskData],
    seed: int,
    args: argparse.Namespace,
    tag: str,
) -> dict[str, float]:
    torch.manual_seed(seed)
    learner = make_learner(target, tasks, args)
    cfg = TrainingConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr)
    initial = random_init_scores(learner, tasks, cfg.eval_batch_size, cfg.device)
    acc = run_sequence(cast(Learner, learner), algo, tasks, cfg, log=lambda _: None)
    if args.out is not None:
        write_continual_metrics(args.out / tag, acc, [t.name for t in tasks], initial, SCORE[target])
    return summarise(acc, initial, SCORE[target])


def fmt(values: list[float], signed: bool = False) -> str:
    a = np.array(values)
    return f"{a.mean():+.3f} +- {a.std():.3f}" if signed else f"{a.mean():.3f} +- {a.std():.3f}"


def main_bench(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--targets", nargs="+", choices=sorted(SCORE), default=["flavour", "pt"])
    parser.add_argument(
        "--paradigm", choices=["dil", "til"], default="dil", help="shared output or one per task"
    )
    parser.add_argument("--num-train", type=int, default=2000, help="training jets per task")
    parser.add_argument("--num-test", type=int, default=2000, help="test jets per task")
    parser.add_argument("--num-tracks", type=int, default=4, help="tracks per jet in the features")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--hidden", type=int, nargs="+", default=[64, 64], help="MLP widths (last = features)"
    )
    parser.add_argument("--statistic", choices=["iqr", "std"], default="iqr", help="width of the resolution")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one seed, one epoch (tests)")
    parser.add_argument("--out", type=Path, default=None, help="write every run's metric files here")
    args = parser.parse_args(argv)
    if args.smoke:
        args.seeds, args.num_train, args.num_test, args.epochs, args.hidden = (
            [args.seeds[0]],
            150,
            150,
            1,
            [16],
        )
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    print(
        f"seeds {args.seeds}, {args.paradigm}, {args.num_train} / {args.num_test} jets per task, "
        f"{args.epochs} epochs, MLP {args.hidden}"
    )
    methods = registered()
    for target in args.targets:
        score = SCORE[target]
        data = {
            s: DriftingJets(
                target, num_train=args.num_train, num_test=args.num_test, num_tracks=args.num_tracks, seed=s
            ).tasks()
            for s in args.seeds
        }
        names = [t.name for t in data[args.seeds[0]]]
        better = "higher" if score == "accuracy" else "lower"
        print(f"\n{target}: {len(names)} tasks {names}; {score} ({better} is better), mean +- std over seeds")
        print(f"  {'method':12s} {'avg ' + score:>17s} {'BWT':>17s} {'FWT':>17s} {'forgetting':>17s}")
        for name, cls in methods:
            try:
                results: list[dict[str, Any]] = []
                for s in args.seeds:
                    results.append(run_one(target, cls(), data[s], s, args, f"{target}_{name}_seed{s}"))
            except (NotImplementedError, AttributeError, TypeError, ValueError) as err:  # e.g. HAT needs til
                print(f"  {name:12s} skipped: {type(err).__name__}: {err}")
                continue
            cols = [fmt([r[f"average_{score}"] for r in results])]
            cols += [fmt([r[c] for r in results], signed=True) for c in COLUMNS]
            print(f"  {name:12s} " + " ".join(f"{c:>17s}" for c in cols))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main_bench()
