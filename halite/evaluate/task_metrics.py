"""Performance of the auxiliary tasks: track origin, vertexing, regression and its uncertainty."""

from __future__ import annotations

import numpy as np


def origin_accuracy(probs: np.ndarray, truth: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    """Accuracy of the most probable class over valid constituents.

    Parameters
    ----------
    probs
        ``(J, N, C)`` class probabilities.
    truth
        ``(J, N)`` true class index (negative = ignored).
    valid
        ``(J, N)`` True for real constituents.

    Returns
    -------
    dict
        ``accuracy`` and ``balanced_accuracy`` (mean recall over classes present).
    """
    keep = valid & (truth >= 0)
    pred = probs[keep].argmax(-1)
    true = truth[keep]
    recalls = [float((pred[true == c] == c).mean()) for c in np.unique(true)]
    return {"accuracy": float((pred == true).mean()), "balanced_accuracy": float(np.mean(recalls))}


def vertex_pair_metrics(
    pred: np.ndarray, truth: np.ndarray, valid: np.ndarray, min_truth: int = 0, chunk: int = 4096
) -> dict[str, float]:
    """Pair efficiency and purity of a per-constituent vertex assignment.

    Over ordered pairs of different valid constituents of a jet: a pair is truly
    together when both have the same truth index ``>= min_truth`` (``-1`` = no
    vertex), and predicted together when both have the same predicted index.

    Parameters
    ----------
    pred, truth
        ``(J, N)`` predicted and true vertex indices.
    valid
        ``(J, N)`` True for real constituents.
    min_truth
        Only true vertices with index ``>= min_truth`` count as signal pairs (e.g. 1
        for secondary vertices when 0 is the primary vertex); purity is then measured
        on predicted pairs that contain at least one constituent of such a vertex.

    Returns
    -------
    dict
        ``efficiency`` = matched / true pairs, ``purity`` = matched / predicted pairs,
        and the pair counts.
    """
    n_true = n_pred = n_match = 0
    n = pred.shape[1]
    off_diag = ~np.eye(n, dtype=bool)
    for s in range(0, len(pred), chunk):
        p, t, v = pred[s : s + chunk], truth[s : s + chunk], valid[s : s + chunk]
        pairs = v[:, :, None] & v[:, None, :] & off_diag
        true_same = (t[:, :, None] == t[:, None, :]) & (t >= min_truth)[:, :, None] & pairs
        pred_same = (p[:, :, None] == p[:, None, :]) & pairs
        if min_truth > 0:
            involved = (t >= min_truth)[:, :, None] | (t >= min_truth)[:, None, :]
            pred_same &= involved
        n_true += int(true_same.sum())
        n_pred += int(pred_same.sum())
        n_match += int((true_same & pred_same).sum())
    return {
        "efficiency": n_match / n_true if n_true else float("nan"),
        "purity": n_match / n_pred if n_pred else float("nan"),
        "true_pairs": n_true,
        "predicted_pairs": n_pred,
    }


def relative_resolution(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Bias and width of ``pred / truth``.

    Returns the median of the ratio minus one (``bias``), half the 16-84 %
    inter-quantile range (``width``, robust to tails) and the standard deviation.
    """
    ratio = np.asarray(pred, dtype=np.float64) / np.asarray(truth, dtype=np.float64)
    q16, q50, q84 = np.quantile(ratio, [0.16, 0.5, 0.84])
    return {"bias": float(q50 - 1.0), "width": float((q84 - q16) / 2.0), "std": float(ratio.std())}


def pull_width(pred: np.ndarray, stddev: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Calibration of a predicted uncertainty: the pull ``(pred - truth) / stddev``.

    A calibrated Gaussian uncertainty gives a pull of mean 0 and width 1. Returns the
    mean, the standard deviation, and the robust width (half the 16-84 % range).
    """
    pull = (np.asarray(pred, np.float64) - np.asarray(truth, np.float64)) / np.asarray(stddev, np.float64)
    q16, q84 = np.quantile(pull, [0.16, 0.84])
    return {"mean": float(pull.mean()), "std": float(pull.std()), "width": float((q84 - q16) / 2.0)}
