"""Batches from blocks: one row gather per stream, and every tensor of a batch a view of one buffer.

A loader worker hands each batch to the training process through shared memory, one
segment per tensor storage: moving it there in the worker, receiving its file
descriptor and mapping it in the training process. With every tensor of a batch a view
of one byte buffer (:func:`arena`) that is one segment per batch instead of one per
tensor (five for jets and tracks with a label each), which divides the training
process's cost of receiving batches several-fold.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import get_worker_info

from halite.data.block_reader import Block
from halite.data.multi_target import MultiTarget
from halite.data.multi_target import apply as apply_multi_target
from halite.data.specs import InputSpec, LabelSpec
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
        storage = torch.UntypedStorage._new_shared(total)
    else:
        storage = torch.empty(total, dtype=torch.uint8).untyped_storage()
    out = {}
    for (key, (dtype, shape)), off in zip(parts.items(), offsets, strict=True):
        # a contiguous view of the storage from byte ``off`` (aligned: a multiple of the item size)
        strides = [math.prod(shape[i + 1 :]) for i in range(len(shape))]
        out[key] = torch.empty(0, dtype=_TORCH[dtype]).set_(storage, off // dtype.itemsize, shape, strides)
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


def class_indices(block: Block, spec: InputSpec, label: LabelSpec) -> np.ndarray:
    """Class label ``label`` of stream ``spec`` kept apart in ``block`` as int64 class indices, once per block.

    A packed stream's padding row maps to -1 (ignored), so a batch's labels are one gather.
    """
    col = block.label_columns[spec.name][label.name]
    if spec.is_global:
        return map_labels(col, label, spec.name, block.path, None)
    out = np.empty(col.shape, dtype=np.int64)
    map_labels(col[:-1], label, spec.name, block.path, None, out=out[:-1])
    out[-1] = -1
    return out


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
    A stream whose labels the block keeps apart (``Block.label_columns``) is gathered straight
    into the batch's tensors; otherwise its rows (inputs, then labels) are gathered first.
    """
    f32, i64 = np.dtype(np.float32), np.dtype(np.int64)
    parts: dict[tuple[str, ...], tuple[np.dtype, tuple[int, ...]]] = {}
    trimmed: dict[str, int] = {}
    for spec in specs:
        shape: tuple[int, ...] = (len(idx),)
        if not spec.is_global:
            trimmed[spec.name] = n = trim_counts(
                block.counts(spec.name)[idx], block.valid[spec.name].shape[1]
            )
            shape = (len(idx), n)
            parts[("mask", spec.name)] = (np.dtype(bool), shape)
        parts[("x", spec.name)] = (f32, (*shape, len(spec.variables)))
        for lab in spec.labels:
            parts[("label", spec.name, lab.name)] = (i64 if lab.kind == "class" else f32, shape)
    out = arena(parts, shared=get_worker_info() is not None)
    inputs: dict[str, torch.Tensor] = {}
    masks: dict[str, torch.Tensor] = {}
    labels: dict[str, dict[str, torch.Tensor]] = {}
    for spec in specs:
        vals = block.values[spec.name]
        pad = None
        index = idx
        if not spec.is_global:
            masks[spec.name] = out[("mask", spec.name)]
            pad = masks[spec.name].numpy()
            n = trimmed[spec.name]
            if block.is_packed(spec.name):  # packed: padding slots index the last row, all zeros
                index = block.slot_rows(spec.name, idx, n, pad=pad)
            else:
                np.logical_not(block.valid[spec.name][idx, :n], out=pad)
        inputs[spec.name] = out[("x", spec.name)]
        x = inputs[spec.name].numpy()
        columns = block.label_columns.get(spec.name)
        rows = None
        if columns is not None:
            np.take(vals, index, axis=0, out=x, mode="clip")  # index is in range; "clip" is not buffered
        else:
            rows = vals[idx, :n] if index is idx and not spec.is_global else take_rows(vals, index)
            copy_columns(x, rows)
        counts = check_finite(x, spec.variables, spec.name, block.path, non_finite, non_finite_value)
        if counts and replaced is not None:
            for var, c in counts.items():
                key = f"{spec.name}.{var}"
                replaced[key] = replaced.get(key, 0) + c
        if spec.labels:
            labels[spec.name] = {}
            fields = list(dict.fromkeys([*spec.variables, *(lab.name for lab in spec.labels)]))
            for lab in spec.labels:
                tensor = labels[spec.name][lab.name] = out[("label", spec.name, lab.name)]
                if columns is not None:
                    src = columns[lab.name]
                    if lab.kind == "class":
                        memo_key = ("class", spec.name, lab.name)
                        src = block.memo(memo_key, functools.partial(class_indices, block, spec, lab))
                    np.take(src, index, out=tensor.numpy(), mode="clip")
                    continue
                assert rows is not None
                col = rows[..., fields.index(lab.name)]
                if lab.kind == "class":
                    map_labels(col, lab, spec.name, block.path, pad, out=tensor.numpy())
                else:
                    np.copyto(tensor.numpy(), col)
    apply_multi_target(labels, multi_target)
    return Batch(inputs, masks, labels)
