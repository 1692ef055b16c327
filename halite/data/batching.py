"""Batches from blocks: one row gather per stream, and every tensor of a batch a view of one buffer.

A loader worker hands each batch to the training process through shared memory, one
segment per tensor storage: moving it there in the worker, receiving its file
descriptor and mapping it in the training process. With every tensor of a batch a view
of one byte buffer (:func:`arena`) that is one segment per batch instead of one per
tensor (five for jets and tracks with a label each), which divides the training
process's cost of receiving batches several-fold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import get_worker_info

from halite.data.block_reader import Block
from halite.data.multi_target import MultiTarget
from halite.data.multi_target import apply as apply_multi_target
from halite.data.specs import InputSpec
from halite.data.transforms import check_finite, map_labels, trim_counts
from halite.typing import Batch

_TORCH = {np.dtype(np.float32): torch.float32, np.dtype(np.int64): torch.int64, np.dtype(bool): torch.bool}


def arena(
    parts: dict[tuple[str, ...], tuple[np.dtype, tuple[int, ...]]], shared: bool = False
) -> dict[tuple[str, ...], torch.Tensor]:
    """Tensors of the given ``(dtype, shape)``, all views of one uninitialised byte buffer (8-byte aligned).

    With ``shared`` the buffer is allocated in shared memory (what a loader worker hands over).
    """
    offsets, total = [], 0
    for dtype, shape in parts.values():
        offsets.append(total)
        total += -(-math.prod(shape) * dtype.itemsize // 8) * 8
    if shared:  # straight into shared memory: torch would copy it there to hand it to the training process
        buf = torch.empty(0, dtype=torch.uint8).set_(torch.UntypedStorage._new_shared(total))
    else:
        buf = torch.empty(total, dtype=torch.uint8)
    out = {}
    for (key, (dtype, shape)), off in zip(parts.items(), offsets, strict=True):
        nbytes = math.prod(shape) * dtype.itemsize
        out[key] = buf[off : off + nbytes].view(_TORCH[dtype]).view(shape)
    return out


def take_rows(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[index]`` along the first axis; ``np.take`` (several times faster) for C-contiguous ``values``.

    (``torch.index_select`` would copy only the wanted columns, but with more than one torch
    thread on busy cores it is up to 100x slower; loading in-process runs with the trainer's threads.)
    """
    if values.flags.c_contiguous:
        return np.take(values, index, axis=0)
    return values[index]


def copy_columns(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[...] = src[..., :k]`` for ``dst`` ``(..., k)``: as one byte copy per row when both are C-contiguous.

    numpy's strided copy of the first ``k`` of ``C`` columns runs an inner loop of ``k``
    elements per row; copying each row's ``4 k`` bytes as one void element is ~2.5x faster.
    """
    k, c = dst.shape[-1], src.shape[-1]
    rows = dst.size // k if k else 0
    if (
        k == c
        or not rows
        or dst.dtype != src.dtype
        or not (dst.flags.c_contiguous and src.flags.c_contiguous)
    ):
        np.copyto(dst, src[..., :k])
        return
    size = dst.dtype.itemsize
    void = np.dtype(f"V{k * size}")
    out = np.ndarray((rows,), void, buffer=dst, strides=(k * size,))
    out[...] = np.ndarray((rows,), void, buffer=src, strides=(c * size,))


def make_batch(
    block: Block,
    idx: np.ndarray,
    specs: Sequence[InputSpec],
    non_finite: str = "error",
    non_finite_value: float = 0.0,
    multi_target: Sequence[MultiTarget] = (),
    replaced: dict[str, int] | None = None,
) -> Batch:
    """Build one ``Batch`` from rows ``idx`` of ``block``: constituent streams trimmed to their longest set.

    ``non_finite`` / ``non_finite_value`` are the policy of :func:`~halite.data.transforms.check_finite`;
    ``replaced`` accumulates the count of replaced non-finite values per ``stream.variable``.
    """
    f32, i64 = np.dtype(np.float32), np.dtype(np.int64)
    parts: dict[tuple[str, ...], tuple[np.dtype, tuple[int, ...]]] = {}
    gathered = []
    for spec in specs:
        vals = block.values[spec.name]
        pad = None
        if spec.is_global:
            rows = take_rows(vals, idx)  # (B, C)
        else:
            n = trim_counts(block.counts(spec.name)[idx], block.valid[spec.name].shape[1])
            if block.is_packed(spec.name):  # packed: padding slots index the last row, all zeros
                where = block.slot_rows(spec.name, idx, n)
                pad = where == len(vals) - 1
                rows = take_rows(vals, where)  # (B, n, C)
            else:
                pad = ~block.valid[spec.name][idx, :n]
                rows = vals[idx, :n]
            parts[("mask", spec.name)] = (np.dtype(bool), pad.shape)
        parts[("x", spec.name)] = (f32, (*rows.shape[:-1], len(spec.variables)))
        for lab in spec.labels:
            parts[("label", spec.name, lab.name)] = (i64 if lab.kind == "class" else f32, rows.shape[:-1])
        gathered.append((spec, rows, pad))
    out = arena(parts, shared=get_worker_info() is not None)
    inputs: dict[str, torch.Tensor] = {}
    masks: dict[str, torch.Tensor] = {}
    labels: dict[str, dict[str, torch.Tensor]] = {}
    for spec, rows, pad in gathered:
        if pad is not None:
            masks[spec.name] = out[("mask", spec.name)]
            np.copyto(masks[spec.name].numpy(), pad)
        inputs[spec.name] = out[("x", spec.name)]
        x = inputs[spec.name].numpy()
        copy_columns(x, rows)
        counts = check_finite(x, spec.variables, spec.name, block.path, non_finite, non_finite_value)
        if counts and replaced is not None:
            for var, c in counts.items():
                key = f"{spec.name}.{var}"
                replaced[key] = replaced.get(key, 0) + c
        if spec.labels:
            fields = list(dict.fromkeys([*spec.variables, *(lab.name for lab in spec.labels)]))
            labels[spec.name] = {}
            for lab in spec.labels:
                col = rows[..., fields.index(lab.name)]
                tensor = labels[spec.name][lab.name] = out[("label", spec.name, lab.name)]
                if lab.kind == "class":
                    map_labels(col, lab, spec.name, block.path, pad, out=tensor.numpy())
                else:
                    np.copyto(tensor.numpy(), col)
    apply_multi_target(labels, multi_target)
    return Batch(inputs, masks, labels)
