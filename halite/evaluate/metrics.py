"""Flavour-tagging and classification metrics on numpy arrays."""

from __future__ import annotations

import numpy as np


def roc_auc(scores: np.ndarray, is_signal: np.ndarray) -> float:
    """Area under the ROC curve via the rank statistic (ties get average ranks)."""
    scores = np.asarray(scores, dtype=np.float64)
    sig = np.asarray(is_signal, dtype=bool)
    n_s, n_b = int(sig.sum()), int((~sig).sum())
    if n_s == 0 or n_b == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[sig].sum() - n_s * (n_s + 1) / 2.0) / (n_s * n_b))


def btag_discriminant(pb: np.ndarray, pc: np.ndarray, pu: np.ndarray, fc: float = 0.2) -> np.ndarray:
    """``D_b = log(p_b / (f_c p_c + (1 - f_c) p_u))``."""
    eps = 1e-10
    return np.log((pb + eps) / (fc * pc + (1.0 - fc) * pu + eps))


def rejection_at(disc_sig: np.ndarray, disc_bkg: np.ndarray, efficiency: float) -> tuple[float, float]:
    """Background rejection ``1/eff_bkg`` at the cut giving ``efficiency`` for the signal.

    Returns the rejection and its binomial uncertainty (``inf`` when no background passes).
    """
    if len(disc_sig) == 0 or len(disc_bkg) == 0:
        return float("nan"), float("nan")
    cut = np.quantile(disc_sig, 1.0 - efficiency)
    n_pass = int((disc_bkg > cut).sum())
    n = len(disc_bkg)
    if n_pass == 0:
        return float("inf"), float("nan")
    eff = n_pass / n
    err = np.sqrt(eff * (1 - eff) / n) / eff**2
    return 1.0 / eff, float(err)
