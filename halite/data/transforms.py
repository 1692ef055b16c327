"""Pure, vectorised per-batch transforms: trimming, finiteness checks, label maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from halite.data.specs import LabelSpec
from halite.errors import DataError


def trim_length(valid: np.ndarray) -> int:
    """Slots needed to hold the longest valid set of a batch ``(B, N)`` (at least 1)."""
    return trim_counts(valid.sum(axis=1), valid.shape[1])


def trim_counts(counts: np.ndarray, width: int) -> int:
    """:func:`trim_length` from the valid entries per jet ``counts`` ``(B,)`` of ``width`` slots."""
    if width == 0:
        return 0
    # padding follows the valid entries, so the last valid slot + 1 is the count
    return max(1, int(counts.max()))


def check_finite(
    x: np.ndarray, variables: tuple[str, ...], stream: str, path: Path | str, policy: str, fill: float = 0.0
) -> dict[str, int]:
    """Check inputs ``(B, [N,] F)`` are finite; raise (policy ``"error"``) or replace with ``fill``.

    Returns the number of replaced values per variable (empty when all are finite).
    """
    if np.isfinite(x.sum()):  # NaN and inf propagate into the sum; a finite sum means all are finite
        return {}
    finite = np.isfinite(x)
    if finite.all():  # the sum overflowed
        return {}
    bad = ~finite.reshape(-1, x.shape[-1])
    counts = bad.sum(axis=0)
    which = {variables[i]: int(c) for i, c in enumerate(counts) if c}
    if policy == "error":
        msg = (
            f"{path}: non-finite (NaN/inf) values in stream '{stream}': {which}. Clean the file, drop "
            f"the variable, or set data.non_finite: replace (with data.non_finite_value) to replace "
            f"them and report the counts."
        )
        raise DataError(msg)
    np.copyto(x, fill, where=~finite)
    return which


def map_labels(
    raw: np.ndarray,
    spec: LabelSpec,
    stream: str,
    path: Path | str,
    ignore: np.ndarray | None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Convert raw label values (float32 from the packed read) to int64 class indices.

    Entries flagged in ``ignore`` (padding) become -1. Values outside the label map raise.
    With ``out`` (int64, the shape of ``raw``) the indices are written there and it is returned.
    """
    if out is None:
        out = np.empty(raw.shape, dtype=np.int64)
    labels = out
    np.copyto(labels, raw, casting="unsafe")  # = raw.astype(np.int64)
    table = spec.lookup_table()
    if table is not None:
        lut, offset = table
        idx = labels - offset
        inside = (idx >= 0) & (idx < len(lut))
        mapped = np.full_like(labels, -2)
        mapped[inside] = lut[idx[inside]]
        np.copyto(labels, mapped)
    if ignore is not None:
        np.putmask(labels, ignore, -1)
    if not labels.size:
        return labels
    low, high = labels.min(), labels.max()
    if low >= -1 and (table is not None or spec.num_classes is None or high < spec.num_classes):
        return labels  # every entry a class or ignored: no (B, N) masks to build
    unknown = labels < -1
    if table is None and spec.num_classes is not None:
        unknown |= labels >= spec.num_classes
    if unknown.any() and table is None:
        values = sorted({int(v) for v in raw[unknown].ravel()[:1000]})
        msg = (
            f"{path}: label '{spec.name}' of stream '{stream}' has values {values} outside the classes "
            f"0..{(spec.num_classes or 0) - 1} of the task. Add a label_map with class_names to the task."
        )
        raise DataError(msg)
    if unknown.any():
        values = sorted({int(v) for v in raw[unknown].ravel()[:1000]})
        msg = (
            f"{path}: label '{spec.name}' of stream '{stream}' has values {values} that are not in the "
            f"label map {dict(spec.label_map or {})}. Add them to the task's label_map or select those jets out."
        )
        raise DataError(msg)
    return labels
