"""Continual-learning metrics from the score matrix (accuracy or resolution), written as CSV and PNG.

``acc[t, i]`` is the test score on task ``i`` after training task ``t`` (``NaN`` for tasks not
yet evaluated). The loop (``halite.continual.loop.run_sequence``) fills the lower triangle
``i <= t`` and, for forward transfer, the superdiagonal ``acc[i - 1, i]``: task ``i`` scored
by the model that is about to learn it. ``b[i]`` is the score on task ``i`` of the model at
random initialisation (``halite.continual.evaluation.random_init_scores``). Indices here count
from 0; the files and plots number tasks from 1 (CLArena's convention).

For a score where higher is better (accuracy):

- average accuracy after task ``t``: ``A_t = mean_{i <= t} acc[t, i]``;
- backward transfer (Lopez-Paz & Ranzato, GEM, arXiv:1706.08840) after task ``t``:
  ``BWT_t = mean_{i < t} (acc[t, i] - acc[i, i])``;
- forward transfer (GEM) after task ``t``: ``FWT_t = mean_{1 <= i <= t} (acc[i - 1, i] - b[i])``
  (GEM's ``1/(T-1) sum_{i=2..T} (R_{i-1,i} - b_i)`` at ``t = T - 1``);
- forgetting of task ``i`` after task ``t`` (Chaudhry et al., RWalk, arXiv:1801.10112):
  ``f_t,i = max_{i <= l < t} acc[l, i] - acc[t, i]``, averaged over ``i < t``.

For a score where lower is better (a regression resolution, ``higher_is_better=False``) the
same formulas are applied to ``-acc`` and ``-b``, so that positive BWT and FWT always mean an
improvement and positive forgetting a loss: ``BWT_t = mean_{i < t} (acc[i, i] - acc[t, i])``,
``FWT_t = mean_{1 <= i <= t} (b[i] - acc[i - 1, i])``, ``f_t,i = acc[t, i] - min_{i <= l < t} acc[l, i]``.
The average is the plain mean in both cases.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from halite.io import atomic_path

#: the scores ``write_continual_metrics`` knows: name -> higher is better
SCORES: dict[str, bool] = {"accuracy": True, "resolution": False}


def _check(acc: np.ndarray) -> np.ndarray:
    acc = np.asarray(acc, dtype=float)
    if acc.ndim != 2 or acc.shape[0] != acc.shape[1]:
        msg = f"The accuracy matrix must be square (tasks x tasks), got shape {acc.shape}."
        raise ValueError(msg)
    return acc


def _oriented(acc: np.ndarray, higher_is_better: bool) -> np.ndarray:
    acc = _check(acc)
    return acc if higher_is_better else -acc


def average_accuracy(acc: np.ndarray) -> np.ndarray:
    """``(T,)``: mean score over the tasks seen after each task (``acc`` ``(T, T)``)."""
    acc = _check(acc)
    return np.array([np.mean(acc[t, : t + 1]) for t in range(len(acc))])


def backward_transfer(acc: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """``(T,)``: backward transfer after each task (``NaN`` after the first); > 0 = improvement."""
    acc = _oriented(acc, higher_is_better)
    out = np.full(len(acc), np.nan)
    for t in range(1, len(acc)):
        out[t] = np.mean(acc[t, :t] - np.diag(acc)[:t])
    return out


def forward_transfer(acc: np.ndarray, random_init: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """``(T,)``: forward transfer after each task (``NaN`` after the first); > 0 = better than random.

    Parameters
    ----------
    acc
        ``(T, T)`` with the superdiagonal ``acc[i - 1, i]`` filled.
    random_init
        ``(T,)`` scores ``b`` of the model at random initialisation.
    """
    sign = 1.0 if higher_is_better else -1.0
    acc = _oriented(acc, higher_is_better)
    b = sign * np.asarray(random_init, dtype=float)
    if b.shape != (len(acc),):
        msg = f"forward_transfer needs one random-initialisation score per task ({len(acc)}), got shape {b.shape}."
        raise ValueError(msg)
    gain = np.array([acc[i - 1, i] - b[i] for i in range(1, len(acc))])
    return np.array([np.mean(gain[:t]) if t else np.nan for t in range(len(acc))])


def forgetting(acc: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """``(T, T)``: forgetting ``f[t, i]`` of task ``i`` after task ``t`` (``NaN`` unless ``i < t``); > 0 = worse."""
    acc = _oriented(acc, higher_is_better)
    out = np.full(acc.shape, np.nan)
    for t in range(1, len(acc)):
        for i in range(t):
            out[t, i] = np.max(acc[i:t, i]) - acc[t, i]
    return out


def average_forgetting(acc: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """``(T,)``: mean forgetting over the earlier tasks after each task (``NaN`` after the first)."""
    f = forgetting(acc, higher_is_better)
    return np.array([np.mean(f[t, :t]) if t else np.nan for t in range(len(f))])


def summarise(
    acc: np.ndarray, random_init: np.ndarray | None = None, score: str = "accuracy"
) -> dict[str, float]:
    """The final (after the last task) average score, BWT, FWT (``NaN`` without ``random_init``) and forgetting."""
    higher = _higher_is_better(score)
    fwt = forward_transfer(acc, random_init, higher)[-1] if random_init is not None else np.nan
    return {
        f"average_{score}": float(average_accuracy(acc)[-1]),
        "backward_transfer": float(backward_transfer(acc, higher)[-1]),
        "forward_transfer": float(fwt),
        "average_forgetting": float(average_forgetting(acc, higher)[-1]),
    }


def _higher_is_better(score: str) -> bool:
    if score not in SCORES:
        msg = f"Unknown continual score '{score}'. Choose one of {sorted(SCORES)}."
        raise ValueError(msg)
    return SCORES[score]


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


def write_continual_metrics(
    out_dir: Path,
    acc: np.ndarray,
    task_names: list[str],
    random_init: np.ndarray | None = None,
    score: str = "accuracy",
) -> dict[str, Path]:
    """Write the score matrix, per-step summary, per-task forgetting and forward transfer (CSV + PNG).

    Tasks are numbered from 1. Files (``<s>`` = ``score``, ``accuracy`` or ``resolution``):
    ``<s>_matrix.csv`` (row = after task ``t``, column = task ``i``, ``i <= t``),
    ``summary.csv`` (per step: average score, BWT, FWT, average forgetting),
    ``forgetting.csv`` (per task at the end: score right after learning it, best, final,
    forgetting), ``forward_transfer.csv`` (with ``random_init``: per task ``i >= 2``, its score
    before learning it, at random initialisation, and the transfer), ``<s>_matrix.png`` and
    ``average_<s>.png``. Signs follow the module docstring: positive BWT / FWT = improvement.

    Parameters
    ----------
    acc
        ``(T, T)`` score matrix (superdiagonal filled for forward transfer).
    task_names
        ``T`` names.
    random_init
        ``(T,)`` scores at random initialisation, or ``None`` (no forward transfer).
    score
        ``accuracy`` (higher is better) or ``resolution`` (lower is better).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    higher = _higher_is_better(score)
    acc = _check(acc)
    if len(task_names) != len(acc):
        msg = f"{len(task_names)} task names for a {len(acc)}-task accuracy matrix."
        raise ValueError(msg)
    out_dir = Path(out_dir)
    names = [
        f"{score}_matrix.csv",
        "summary.csv",
        "forgetting.csv",
        f"{score}_matrix.png",
        f"average_{score}.png",
    ]
    if random_init is not None:
        names.append("forward_transfer.csv")
    paths = {name: out_dir / name for name in names}
    last = len(acc) - 1
    seen = np.where(np.tril(np.ones_like(acc, dtype=bool)), acc, np.nan)
    avg, bwt, fgt, f_matrix = (
        average_accuracy(acc),
        backward_transfer(acc, higher),
        average_forgetting(acc, higher),
        forgetting(acc, higher),
    )
    fwt = forward_transfer(acc, random_init, higher) if random_init is not None else np.full(len(acc), np.nan)
    _write_csv(
        paths[f"{score}_matrix.csv"],
        ["after_task", *task_names],
        [[task_names[t], *(float(v) for v in seen[t])] for t in range(len(acc))],
    )
    _write_csv(
        paths["summary.csv"],
        [
            "after_task",
            "task",
            f"average_{score}",
            "backward_transfer",
            "forward_transfer",
            "average_forgetting",
        ],
        [
            [t + 1, task_names[t], float(avg[t]), float(bwt[t]), float(fwt[t]), float(fgt[t])]
            for t in range(len(acc))
        ],
    )
    best = np.max if higher else np.min
    _write_csv(
        paths["forgetting.csv"],
        ["task_id", "task", f"{score}_after_learning", f"best_{score}", f"final_{score}", "forgetting"],
        [
            [
                i + 1,
                name,
                float(acc[i, i]),
                float(best(acc[i:, i])),
                float(acc[last, i]),
                float(f_matrix[last, i]),
            ]
            for i, name in enumerate(task_names)
        ],
    )
    if random_init is not None:
        sign = 1.0 if higher else -1.0
        _write_csv(
            paths["forward_transfer.csv"],
            ["task_id", "task", f"{score}_before_learning", f"random_init_{score}", "forward_transfer"],
            [
                [
                    i + 1,
                    task_names[i],
                    float(acc[i - 1, i]),
                    float(random_init[i]),
                    float(sign * (acc[i - 1, i] - random_init[i])),
                ]
                for i in range(1, len(acc))
            ],
        )

    labels = [f"{i + 1}: {name}" for i, name in enumerate(task_names)]
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(acc), 1.0 + 0.8 * len(acc)))
    finite = seen[np.isfinite(seen)]
    vmin, vmax = 0.0, 1.0  # accuracy; a resolution spans its own range
    if not higher and finite.size:
        vmin, vmax = float(finite.min()), max(float(finite.max()), float(finite.min()) + 1e-6)
    im = ax.imshow(
        np.ma.masked_invalid(seen), vmin=vmin, vmax=vmax, cmap="viridis" if higher else "viridis_r"
    )
    for t in range(len(acc)):
        for i in range(t + 1):
            dark = (acc[t, i] - vmin) / max(vmax - vmin, 1e-12) < 0.6
            ax.text(
                i,
                t,
                f"{acc[t, i]:.2f}" if higher else f"{acc[t, i]:.3f}",
                ha="center",
                va="center",
                color="w" if dark == higher else "k",
            )
    ax.set_xticks(range(len(acc)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(acc)), labels)
    ax.set_xlabel("evaluated task i")
    ax.set_ylabel("after training task t")
    fig.colorbar(im, ax=ax, label=f"{score} a[t, i]")
    _save_png(fig, paths[f"{score}_matrix.png"])

    fig, ax = plt.subplots(figsize=(5, 3.5))
    steps = np.arange(1, len(acc) + 1)
    ax.plot(steps, avg, marker="o", label=f"average {score}")
    ax.plot(steps, fgt, marker="s", label="average forgetting")
    if random_init is not None:
        ax.plot(steps, fwt, marker="^", label="forward transfer")
    ax.set_xticks(steps)
    ax.set_xlabel("tasks learnt")
    if higher:
        ax.set_ylim(-0.05, 1.05)
    ax.legend()
    _save_png(fig, paths[f"average_{score}.png"])
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
