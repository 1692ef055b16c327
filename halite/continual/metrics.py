"""Continual-learning metrics from the accuracy matrix, written as CSV and PNG.

``acc[t, i]`` is the test accuracy on task ``i`` after training task ``t`` (``NaN`` for
``i > t``, tasks not yet seen).

- average accuracy after task ``t``: ``A_t = mean_{i <= t} acc[t, i]``;
- backward transfer (Lopez-Paz & Ranzato, GEM, arXiv:1706.08840) after task ``t``:
  ``BWT_t = mean_{i < t} (acc[t, i] - acc[i, i])``;
- forgetting of task ``i`` after task ``t`` (Chaudhry et al., RWalk, arXiv:1801.10112):
  ``f_t,i = max_{i <= l < t} acc[l, i] - acc[t, i]``, averaged over ``i < t``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from halite.io import atomic_path


def _check(acc: np.ndarray) -> np.ndarray:
    acc = np.asarray(acc, dtype=float)
    if acc.ndim != 2 or acc.shape[0] != acc.shape[1]:
        msg = f"The accuracy matrix must be square (tasks x tasks), got shape {acc.shape}."
        raise ValueError(msg)
    return acc


def average_accuracy(acc: np.ndarray) -> np.ndarray:
    """``(T,)``: mean accuracy over the tasks seen after each task."""
    acc = _check(acc)
    return np.array([np.mean(acc[t, : t + 1]) for t in range(len(acc))])


def backward_transfer(acc: np.ndarray) -> np.ndarray:
    """``(T,)``: backward transfer after each task (``NaN`` after the first)."""
    acc = _check(acc)
    out = np.full(len(acc), np.nan)
    for t in range(1, len(acc)):
        out[t] = np.mean(acc[t, :t] - np.diag(acc)[:t])
    return out


def forgetting(acc: np.ndarray) -> np.ndarray:
    """``(T, T)``: forgetting ``f[t, i]`` of task ``i`` after task ``t`` (``NaN`` unless ``i < t``)."""
    acc = _check(acc)
    out = np.full(acc.shape, np.nan)
    for t in range(1, len(acc)):
        for i in range(t):
            out[t, i] = np.max(acc[i:t, i]) - acc[t, i]
    return out


def average_forgetting(acc: np.ndarray) -> np.ndarray:
    """``(T,)``: mean forgetting over the earlier tasks after each task (``NaN`` after the first)."""
    f = forgetting(acc)
    return np.array([np.mean(f[t, :t]) if t else np.nan for t in range(len(f))])


def _fmt(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.6f}"


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow([_fmt(v) if isinstance(v, float) else v for v in row])


def _save_png(fig: object, path: Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]


def write_continual_metrics(out_dir: Path, acc: np.ndarray, task_names: list[str]) -> dict[str, Path]:
    """Write the accuracy matrix, per-step summary and per-task forgetting (CSV + PNG).

    Files: ``accuracy_matrix.csv`` (row = after task ``t``, column = task ``i``),
    ``summary.csv`` (per step: average accuracy, BWT, average forgetting),
    ``forgetting.csv`` (per task at the end: accuracy right after learning it, best,
    final, forgetting), ``accuracy_matrix.png`` and ``average_accuracy.png``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acc = _check(acc)
    if len(task_names) != len(acc):
        msg = f"{len(task_names)} task names for a {len(acc)}-task accuracy matrix."
        raise ValueError(msg)
    out_dir = Path(out_dir)
    paths = {
        name: out_dir / name
        for name in (
            "accuracy_matrix.csv",
            "summary.csv",
            "forgetting.csv",
            "accuracy_matrix.png",
            "average_accuracy.png",
        )
    }
    last = len(acc) - 1
    avg, bwt, fgt, f_matrix = (
        average_accuracy(acc),
        backward_transfer(acc),
        average_forgetting(acc),
        forgetting(acc),
    )
    _write_csv(
        paths["accuracy_matrix.csv"],
        ["after_task", *task_names],
        [[task_names[t], *(float(v) for v in acc[t])] for t in range(len(acc))],
    )
    _write_csv(
        paths["summary.csv"],
        ["after_task", "task", "average_accuracy", "backward_transfer", "average_forgetting"],
        [[t + 1, task_names[t], float(avg[t]), float(bwt[t]), float(fgt[t])] for t in range(len(acc))],
    )
    _write_csv(
        paths["forgetting.csv"],
        ["task", "accuracy_after_learning", "best_accuracy", "final_accuracy", "forgetting"],
        [
            [name, float(acc[i, i]), float(np.max(acc[i:, i])), float(acc[last, i]), float(f_matrix[last, i])]
            for i, name in enumerate(task_names)
        ],
    )

    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(acc), 1.0 + 0.8 * len(acc)))
    im = ax.imshow(np.ma.masked_invalid(acc), vmin=0.0, vmax=1.0, cmap="viridis")
    for t in range(len(acc)):
        for i in range(t + 1):
            ax.text(i, t, f"{acc[t, i]:.2f}", ha="center", va="center", color="w" if acc[t, i] < 0.6 else "k")
    ax.set_xticks(range(len(acc)), task_names, rotation=45, ha="right")
    ax.set_yticks(range(len(acc)), task_names)
    ax.set_xlabel("evaluated task i")
    ax.set_ylabel("after training task t")
    fig.colorbar(im, ax=ax, label="accuracy a[t, i]")
    _save_png(fig, paths["accuracy_matrix.png"])

    fig, ax = plt.subplots(figsize=(5, 3.5))
    steps = np.arange(1, len(acc) + 1)
    ax.plot(steps, avg, marker="o", label="average accuracy")
    ax.plot(steps, fgt, marker="s", label="average forgetting")
    ax.set_xticks(steps)
    ax.set_xlabel("tasks learnt")
    ax.set_ylim(-0.05, 1.05)
    ax.legend()
    _save_png(fig, paths["average_accuracy.png"])
    return paths


def write_task_accuracy(out_dir: Path, accuracy: list[float], task_names: list[str]) -> dict[str, Path]:
    """Per-task test accuracy of a multi- or single-task model: ``task_accuracy.csv`` and ``.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if len(accuracy) != len(task_names):
        msg = f"{len(task_names)} task names for {len(accuracy)} accuracies."
        raise ValueError(msg)
    out_dir = Path(out_dir)
    paths = {
        "task_accuracy.csv": out_dir / "task_accuracy.csv",
        "task_accuracy.png": out_dir / "task_accuracy.png",
    }
    rows: list[list[object]] = [[n, float(a)] for n, a in zip(task_names, accuracy)]
    rows.append(["mean", float(np.mean(accuracy))])
    _write_csv(paths["task_accuracy.csv"], ["task", "accuracy"], rows)
    fig, ax = plt.subplots(figsize=(1.5 + 0.7 * len(accuracy), 3.5))
    ax.bar(task_names, accuracy)
    ax.set_ylim(0.0, 1.05)
    ax.set_ylabel("test accuracy")
    ax.tick_params(axis="x", rotation=45)
    _save_png(fig, paths["task_accuracy.png"])
    return paths
