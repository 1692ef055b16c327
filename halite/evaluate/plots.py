"""Matplotlib figures of the evaluation report (PNG, written atomically)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from halite.io import atomic_path

COLOURS = {"b": "tab:blue", "c": "tab:orange", "light": "tab:green", "u": "tab:green"}


def save(fig: plt.Figure, path: Path) -> Path:
    """Save ``fig`` as PNG atomically and close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def discriminant(discs: dict[str, np.ndarray], xlabel: str, path: Path) -> Path:
    """Normalised distributions of a discriminant per flavour."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    finite = np.concatenate([d[np.isfinite(d)] for d in discs.values() if len(d)])
    lo, hi = np.percentile(finite, [0.1, 99.9]) if len(finite) else (0.0, 1.0)
    bins: list[float] | int = np.linspace(float(lo), float(hi), 60).tolist() if len(finite) else 10
    for name, d in discs.items():
        ax.hist(
            d, bins=bins, histtype="step", density=True, label=f"{name}-jets", color=COLOURS.get(name), lw=1.5
        )
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Normalised number of jets")
    ax.legend()
    return save(fig, path)


def rejection_curves(
    curves: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]], sig: str, path: Path, ref: str | None = None
) -> Path:
    """Background rejection vs signal efficiency per tagger, with a ratio panel to ``ref``.

    ``curves[tagger][background] = (signal_eff, rejection)``.
    """
    backgrounds = sorted({b for c in curves.values() for b in c})
    fig, axes = plt.subplots(
        1 + (ref is not None) * len(backgrounds),
        1,
        figsize=(6, 5 + 1.5 * (ref is not None) * len(backgrounds)),
        sharex=True,
        gridspec_kw={"height_ratios": [3] + [1] * ((ref is not None) * len(backgrounds))},
        squeeze=False,
    )
    ax = axes[0, 0]
    styles = ["-", "--", ":", "-."]
    for ti, (tagger, per_bkg) in enumerate(curves.items()):
        for bkg, (eff, rej) in per_bkg.items():
            ax.plot(eff, rej, styles[ti % 4], color=COLOURS.get(bkg), label=f"{tagger}: {bkg}-jet rejection")
    ax.set_yscale("log")
    ax.set_ylabel("Background rejection")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if ref is not None and ref in curves:
        for i, bkg in enumerate(backgrounds):
            rax = axes[1 + i, 0]
            ref_eff, ref_rej = curves[ref][bkg]
            for ti, per_bkg in enumerate(curves.values()):
                eff, rej = per_bkg[bkg]
                ratio = np.interp(ref_eff, eff, rej) / np.where(ref_rej > 0, ref_rej, np.nan)
                rax.plot(ref_eff, ratio, styles[ti % 4], color=COLOURS.get(bkg))
            rax.set_ylabel(f"{bkg} ratio")
            rax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(f"{sig}-jet efficiency")
    return save(fig, path)


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
