"""Fields of structured records -> float32 arrays, one strided copy per run of same-typed fields."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

__all__ = ["cast_fields", "cast_into", "field_runs"]


@functools.lru_cache(maxsize=256)
def _runs(dtype: np.dtype, fields: tuple[str, ...]) -> tuple[tuple[int, int, int, np.dtype], ...]:
    """:func:`field_runs`, computed once per record dtype and fields (once per reader and stream)."""
    return tuple(field_runs(dtype, fields))


def field_runs(dtype: np.dtype, fields: Sequence[str]) -> list[tuple[int, int, int, np.dtype]]:
    """``fields`` of records ``dtype`` grouped into runs stored back to back with one dtype.

    Returns ``(first column, number of fields, byte offset in the record, field dtype)``
    per run, in the order of ``fields``: a run is cast with one strided copy instead of
    one per field (salt files store the float inputs, then the small-integer hit counts,
    contiguously).
    """
    runs: list[tuple[int, int, int, np.dtype]] = []
    for col, name in enumerate(fields):
        fdt, off = dtype.fields[name][:2]  # type: ignore[index]
        if runs:
            first, k, start, rdt = runs[-1]
            if fdt == rdt and off == start + k * rdt.itemsize and not fdt.shape:
                runs[-1] = (first, k + 1, start, rdt)
                continue
        runs.append((col, 1, off, fdt))
    return runs


def cast_fields(raw: np.ndarray, fields: Sequence[str], zero_row: bool = False) -> np.ndarray:
    """Fields ``fields`` of records ``raw`` ``(...)`` as float32 ``(..., C)``, fields last, C-contiguous.

    Fields stored back to back with one dtype (:func:`field_runs`) are converted with one
    2D strided copy per run; runs of native float32 are copied as raw bytes. With
    ``zero_row`` (1D ``raw`` only) a last row of zeros is appended, which the padding
    slots of packed blocks index.
    """
    shape = raw.shape
    m = int(np.prod(shape))
    c = len(fields)
    out = np.empty((m + int(zero_row), c), dtype=np.float32)
    if zero_row:
        out[m] = 0.0
    cast_into(np.ascontiguousarray(raw).reshape(m), fields, out[:m])
    return out.reshape(m + int(zero_row), c) if zero_row else out.reshape(*shape, c)


def cast_into(recs: np.ndarray, fields: Sequence[str], out: np.ndarray) -> None:
    """Write fields ``fields`` of the C-contiguous records ``recs`` ``(m,)`` into float32 ``out`` ``(m, C)``.

    ``out`` must be C-contiguous (e.g. a range of rows of a larger array), as
    :func:`cast_fields` builds it.
    """
    m, c = out.shape
    if not (m and c):
        return
    size = recs.dtype.itemsize
    for first, k, off, fdt in _runs(recs.dtype, tuple(fields)):
        if fdt == np.dtype(np.float32):  # bit copy of k floats per record
            void = np.dtype(f"V{4 * k}")
            dst = np.ndarray((m,), void, buffer=out, offset=4 * first, strides=(4 * c,))
            dst[...] = np.ndarray((m,), void, buffer=recs, offset=off, strides=(size,))
        else:
            src = np.ndarray((m, k), fdt, buffer=recs, offset=off, strides=(size, fdt.itemsize))
            out[:, first : first + k] = src
