"""Packing of the valid constituents of a padded batch: ``(B, N, ...)`` <-> ``(T, ...)``.

A typical jet fills about a quarter of its constituent slots, so per-constituent
networks (init nets, the encoder's linear layers and MLPs, per-constituent task
heads) do a quarter of the work when applied to the ``T`` valid constituents only.
Padded slots of an unpacked tensor are zero.

Packed constituents are ordered by the length of their jet (then jet, then slot), so
the jets with ``L`` constituents form one contiguous ``(n_L * L, ...)`` segment that
reshapes to ``(n_L, L, ...)``: attention runs per segment without any padding or mask
(variable-length attention, as FlashAttention's varlen kernels do on GPU).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor


def packing_enabled(flag: bool) -> bool:
    """``flag``, but False while tracing or exporting (ONNX, ``torch.export``), which need static shapes."""
    if not flag:
        return False
    exporting = torch.onnx.is_in_onnx_export() or torch.jit.is_tracing() or torch.compiler.is_exporting()
    return not exporting


@dataclass(frozen=True)
class Packing:
    """Positions of the valid constituents of a padded batch.

    Parameters
    ----------
    pad_mask
        ``(B, N)``, True = padding.
    index
        ``(T,)`` flat position ``b * N + n`` of every valid constituent.
    batch
        ``(T,)`` jet index ``b`` of every valid constituent.
    segments
        ``(start, num_jets, length)`` per distinct non-zero jet length: the packed rows
        ``start : start + num_jets * length`` hold the jets with ``length`` constituents.
    """

    pad_mask: Tensor
    index: Tensor
    batch: Tensor
    segments: tuple[tuple[int, int, int], ...]

    @classmethod
    def from_mask(cls, pad_mask: Tensor) -> Packing:
        """Build the packing of the valid (``False``) entries of ``pad_mask`` ``(B, N)``."""
        valid = ~pad_mask
        index = valid.reshape(-1).nonzero().squeeze(1)
        batch = torch.div(index, pad_mask.shape[1], rounding_mode="floor")
        lengths = valid.sum(dim=1)
        order = torch.sort(lengths.index_select(0, batch), stable=True).indices
        index, batch = index.index_select(0, order), batch.index_select(0, order)
        counts = torch.bincount(lengths, minlength=pad_mask.shape[1] + 1).tolist()
        segments, start = [], 0
        for length, num in enumerate(counts):
            if length and num:
                segments.append((start, num, length))
                start += num * length
        return cls(pad_mask, index, batch, tuple(segments))

    @property
    def num_valid(self) -> int:
        """``T``, the number of valid constituents."""
        return int(self.index.shape[0])

    def pack(self, x: Tensor) -> Tensor:
        """``(B, N, ...)`` -> ``(T, ...)``: the valid constituents only."""
        b, n = self.pad_mask.shape
        return x.reshape(b * n, *x.shape[2:]).index_select(0, self.index)

    def unpack(self, x: Tensor) -> Tensor:
        """``(T, ...)`` -> ``(B, N, ...)`` with zeros in the padded slots."""
        b, n = self.pad_mask.shape
        out = x.new_zeros((b * n, *x.shape[1:])).index_copy(0, self.index, x)
        return out.view(b, n, *x.shape[1:])

    def per_constituent(self, context: Tensor) -> Tensor:
        """Per-jet ``(B, C)`` -> per-valid-constituent ``(T, C)``."""
        return context.index_select(0, self.batch)


def tokenwise(
    fn: Callable[[Tensor, Tensor | None], Tensor],
    x: Tensor,
    packing: Packing | None,
    context: Tensor | None = None,
) -> Tensor:
    """Apply a per-constituent network ``fn(x, context)`` to the valid constituents only.

    Parameters
    ----------
    fn
        Maps ``(T, F)`` and an optional per-constituent context ``(T, C)`` to ``(T, F_out)``;
        must treat every constituent independently (an MLP does).
    x
        ``(B, N, F)``.
    packing
        The batch's packing; ``None`` applies ``fn`` to every slot (padded slots included).
    context
        ``(B, C)`` per-jet context or ``None``.

    Returns
    -------
    Tensor
        ``(B, N, F_out)``, zeros in padded slots when packed.
    """
    if packing is None:
        return fn(x, context)
    ctx = packing.per_constituent(context) if context is not None else None
    return packing.unpack(fn(packing.pack(x), ctx))
