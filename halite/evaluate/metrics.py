"""Flavour-tagging and classification metrics on numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Rejection:
    """Background rejection ``1 / eff_bkg`` at a signal-efficiency cut, with its counts.

    When no background jet passes the cut the rejection is only bounded from below:
    ``value`` is then the number of background jets (``> value``) and ``is_lower_limit``
    is True. With no signal or no background jets ``value`` is NaN.

    Attributes
    ----------
    value
        ``num_total / num_pass`` (``num_total`` when nothing passes).
    error
        Binomial uncertainty of ``value``; NaN for a lower limit.
    num_pass, num_total
        Background jets passing the cut, and all background jets.
    """

    value: float
    error: float
    num_pass: int
    num_total: int

    @property
    def is_lower_limit(self) -> bool:
        return self.num_pass == 0 and self.num_total > 0 and self.defined

    @property
    def defined(self) -> bool:
        return bool(np.isfinite(self.value))

    def format(self, digits: int = 1) -> str:
        """``12.3 ± 0.4``; ``> 198 (0 of 198 pass)`` for a lower limit; ``n/a (no jets)``."""
        return format_rejection_fields(self.fields("r"), "r", digits)

    def fields(self, prefix: str) -> dict[str, float | int | bool | None]:
        """JSON entries ``<prefix>_rejection``, ``_rejection_err``, ``_rejection_is_lower_limit``,
        ``_num_pass``, ``_num_total``.

        A lower limit writes the limit as ``<prefix>_rejection`` and ``null`` as its error;
        an undefined rejection writes ``null`` for both (JSON has no inf or NaN).
        """
        return {
            f"{prefix}_rejection": self.value if self.defined else None,
            f"{prefix}_rejection_err": None if self.is_lower_limit or not self.defined else self.error,
            f"{prefix}_rejection_is_lower_limit": self.is_lower_limit,
            f"{prefix}_num_pass": self.num_pass,
            f"{prefix}_num_total": self.num_total,
        }


def format_rejection_fields(entry: dict, prefix: str, digits: int = 1) -> str:
    """Text of the ``Rejection.fields`` entries of ``prefix`` in a summary dict.

    ``12.3 ± 0.4``; ``> 198 (0 of 198 pass)`` for a lower limit; ``n/a (no jets)`` when undefined.
    """
    value, err = entry.get(f"{prefix}_rejection"), entry.get(f"{prefix}_rejection_err")
    if entry.get(f"{prefix}_rejection_is_lower_limit"):
        n = entry.get(f"{prefix}_num_total", value)
        return f"> {n:.0f} (0 of {n:.0f} pass)"
    if value is None or not np.isfinite(value):
        return "n/a (no jets)"
    return f"{value:.{digits}f} ± {err:.{digits}f}"


def rejection(disc_sig: np.ndarray, disc_bkg: np.ndarray, efficiency: float) -> Rejection:
    """Background rejection at the cut giving ``efficiency`` for the signal (see ``Rejection``)."""
    n = len(disc_bkg)
    if len(disc_sig) == 0 or n == 0:
        return Rejection(float("nan"), float("nan"), 0, n)
    cut = np.quantile(disc_sig, 1.0 - efficiency)
    n_pass = int((disc_bkg > cut).sum())
    if n_pass == 0:
        return Rejection(float(n), float("nan"), 0, n)
    eff = n_pass / n
    err = np.sqrt(eff * (1 - eff) / n) / eff**2
    return Rejection(1.0 / eff, float(err), n_pass, n)


def rejection_at(disc_sig: np.ndarray, disc_bkg: np.ndarray, efficiency: float) -> tuple[float, float]:
    """Background rejection ``1/eff_bkg`` at the cut giving ``efficiency`` for the signal.

    Returns the rejection and its binomial uncertainty (``inf`` when no background passes;
    ``rejection`` returns the lower limit with the counts instead).
    """
    r = rejection(disc_sig, disc_bkg, efficiency)
    if r.is_lower_limit:
        return float("inf"), float("nan")
    return r.value, r.error
