"""Matplotlib figures of the evaluation report's task sections (PNG, written atomically).

The flavour-tagging figures are drawn with puma: :mod:`halite.evaluate.ftag_plots`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from halite.io import atomic_path


def save(fig: plt.Figure, path: Path) -> Path:
    """Save ``fig`` as PNG atomically and close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def roc(curves: dict[str, tuple[np.ndarray, np.ndarray, float]], title: str, path: Path) -> Path:
    """One-vs-rest ROC curves ``{class: (fpr, tpr, auc)}``."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, (fpr, tpr, auc) in curves.items():
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save(fig, path)


def confusion(matrix: np.ndarray, names: list[str], title: str, path: Path) -> Path:
    """Row-normalised confusion matrix (true class in rows)."""
    norm = matrix / np.clip(matrix.sum(1, keepdims=True), 1, None)
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(names), 0.8 + 0.6 * len(names)))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(
                j,
                i,
                f"{norm[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if norm[i, j] > 0.5 else "black",
            )
    ax.set_xlabel("Predicted")
    ax.set_ylabel("True")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return save(fig, path)


def binned_response(
    x: np.ndarray,
    centres: np.ndarray,
    median: np.ndarray,
    width: np.ndarray,
    xlabel: str,
    title: str,
    path: Path,
) -> Path:
    """Median response and resolution (IQR/2) in bins of ``x``."""
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    a1.plot(centres, median, "o-")
    a1.axhline(1.0, color="grey", ls=":")
    a1.set_ylabel("Median response (pred/true)")
    a1.set_title(title)
    a2.plot(centres, width, "o-", color="tab:red")
    a2.set_ylabel("Resolution (IQR/2)")
    a2.set_xlabel(xlabel)
    return save(fig, path)


def histogram(values: np.ndarray, xlabel: str, title: str, path: Path, gauss: bool = False) -> Path:
    """A histogram, optionally with a unit Gaussian overlaid (pulls)."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    v = values[np.isfinite(values)]
    lo, hi = (-5, 5) if gauss else tuple(np.percentile(v, [0.5, 99.5]))
    ax.hist(v, bins=60, range=(lo, hi), density=True, histtype="step", lw=1.5)
    if gauss:
        xs = np.linspace(lo, hi, 200)
        ax.plot(xs, np.exp(-0.5 * xs**2) / np.sqrt(2 * np.pi), "k:", label="N(0, 1)")
        ax.legend()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return save(fig, path)
