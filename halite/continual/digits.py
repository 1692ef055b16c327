"""Offline continual-learning benchmarks on scikit-learn's bundled 8x8 handwritten digits.

``SplitDigits`` splits the ten digits into class subsets, one task each (the small
analogue of Split MNIST, Zenke et al. 2017, arXiv:1703.04200); ``PermutedDigits`` applies
a fixed pixel permutation per task to all ten digits (the analogue of Permuted MNIST,
Goodfellow et al. 2013, arXiv:1312.6211). The data ship with scikit-learn
(``sklearn.datasets.load_digits``): nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from halite.continual.data import Benchmark, InputInfo, Samples, TaskData

#: stream name of the flattened digit images ``(n, 64)``
DIGITS_STREAM = "digits"
_NUM_PIXELS = 64


@dataclass
class DigitsClassTask:
    """One Split Digits task: a subset of the digits 0-9.

    Parameters
    ----------
    classes
        The digits of this task, in label order.
    name
        Task name (default: the digits joined, e.g. ``digits_0_1``).
    """

    classes: list[int]
    name: str | None = None


@dataclass
class PermutationTask:
    """One Permuted Digits task: a fixed pixel permutation.

    Parameters
    ----------
    seed
        Seed of the permutation; ``None`` keeps the original pixel order.
    name
        Task name (default: ``perm_<seed>`` or ``identity``).
    """

    seed: int | None = None
    name: str | None = None


def _load_split(test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], split per class into train and test (stratified)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        msg = f"test_fraction must be in (0, 1), got {test_fraction}."
        raise ValueError(msg)
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    return x_tr, x_te, y_tr.astype(np.int64), y_te.astype(np.int64)


def _samples(x: np.ndarray, y: np.ndarray, task_id: int) -> Samples:
    return Samples(
        {DIGITS_STREAM: torch.from_numpy(np.ascontiguousarray(x))},
        {},
        torch.from_numpy(y),
        torch.full((len(y),), task_id, dtype=torch.int64),
    )


def _digits_info() -> InputInfo:
    return InputInfo(variables={DIGITS_STREAM: [f"pixel_{i}" for i in range(_NUM_PIXELS)]})


class SplitDigits(Benchmark):
    """Split Digits: each task holds a subset of the digits (class- or task-incremental).

    Parameters
    ----------
    tasks
        The tasks in order, each a list of digits; a digit may appear in one task only.
    test_fraction
        Fraction of every digit's images held out for testing.
    seed
        Seed of the train/test split.
    """

    def __init__(self, tasks: list[DigitsClassTask], test_fraction: float = 0.3, seed: int = 0) -> None:
        if not tasks:
            msg = "SplitDigits needs at least one task (continual.benchmark.init_args.tasks)."
            raise ValueError(msg)
        seen: set[int] = set()
        for i, task in enumerate(tasks, start=1):
            bad = [c for c in task.classes if not 0 <= int(c) <= 9]
            if bad or not task.classes:
                msg = f"SplitDigits task {i}: classes {task.classes} must be a non-empty list of digits 0-9."
                raise ValueError(msg)
            again = seen.intersection(task.classes)
            if again or len(set(task.classes)) != len(task.classes):
                msg = f"SplitDigits task {i}: digits {sorted(again) or task.classes} appear twice; each digit belongs to one task."
                raise ValueError(msg)
            seen.update(task.classes)
        self.task_specs = list(tasks)
        self.test_fraction = test_fraction
        self.seed = seed

    def input_info(self) -> InputInfo:
        return _digits_info()

    def tasks(self) -> list[TaskData]:
        x_tr, x_te, y_tr, y_te = _load_split(self.test_fraction, self.seed)
        out = []
        for t, spec in enumerate(self.task_specs):
            classes = [int(c) for c in spec.classes]
            lut = np.full(10, -1, dtype=np.int64)
            lut[classes] = np.arange(len(classes))
            sel_tr, sel_te = np.isin(y_tr, classes), np.isin(y_te, classes)
            out.append(
                TaskData(
                    name=spec.name or "digits_" + "_".join(map(str, classes)),
                    class_names=[str(c) for c in classes],
                    train=_samples(x_tr[sel_tr], lut[y_tr[sel_tr]], t + 1),
                    test=_samples(x_te[sel_te], lut[y_te[sel_te]], t + 1),
                )
            )
        return out


class PermutedDigits(Benchmark):
    """Permuted Digits: all ten digits in every task, pixels permuted per task (domain-incremental).

    Parameters
    ----------
    tasks
        The tasks in order, each a permutation seed.
    test_fraction
        Fraction of every digit's images held out for testing.
    seed
        Seed of the train/test split.
    """

    def __init__(self, tasks: list[PermutationTask], test_fraction: float = 0.3, seed: int = 0) -> None:
        if not tasks:
            msg = "PermutedDigits needs at least one task (continual.benchmark.init_args.tasks)."
            raise ValueError(msg)
        self.task_specs = list(tasks)
        self.test_fraction = test_fraction
        self.seed = seed

    def input_info(self) -> InputInfo:
        return _digits_info()

    def tasks(self) -> list[TaskData]:
        x_tr, x_te, y_tr, y_te = _load_split(self.test_fraction, self.seed)
        out = []
        for t, spec in enumerate(self.task_specs):
            if spec.seed is None:
                perm = np.arange(_NUM_PIXELS)
            else:
                perm = np.random.default_rng(spec.seed).permutation(_NUM_PIXELS)
            out.append(
                TaskData(
                    name=spec.name or ("identity" if spec.seed is None else f"perm_{spec.seed}"),
                    class_names=[str(c) for c in range(10)],
                    train=_samples(x_tr[:, perm], y_tr, t + 1),
                    test=_samples(x_te[:, perm], y_te, t + 1),
                )
            )
        return out
