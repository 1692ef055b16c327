"""Shape legend and tensor aliases used throughout halite.

Shapes
------
``B``  jets (or events) in a batch
``N``  constituent slots of one stream (tracks, electrons, hits, ...)
``F``  input features of one stream
``D``  embedding width

The global object (usually ``jets``) is ``(B, F)``. A constituent stream is
``(B, N, F)`` with a pad mask ``(B, N)`` that is ``True`` where a slot is padding.
Padding always follows the valid entries of a jet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

#: stream name -> tensor, e.g. ``{"jets": (B, F), "tracks": (B, N, F)}``
Tensors = dict[str, Tensor]
#: stream name -> pad mask ``(B, N)``, ``True`` = padding (global object absent)
Masks = dict[str, Tensor]
#: stream name -> {label name -> tensor}, e.g. ``{"jets": {"flavour_label": (B,)}}``
Labels = dict[str, dict[str, Tensor]]


@dataclass
class Batch:
    """One batch as produced by the data module.

    Parameters
    ----------
    inputs
        Raw (un-normalised) float inputs per stream: ``(B, F)`` for the global
        object, ``(B, N, F)`` for constituent streams. Normalisation happens in
        the model so that exported graphs contain it.
    pad_masks
        ``(B, N)`` boolean per constituent stream, ``True`` = padding.
    labels
        Per stream, per label name: ``(B,)`` or ``(B, N)`` tensors (int64 for
        class labels, float32 for regression targets and weights).
    """

    inputs: Tensors
    pad_masks: Masks
    labels: Labels = field(default_factory=dict)

    def to(self, device: str | torch.device, non_blocking: bool = False) -> Batch:
        """Move every tensor to ``device``."""
        return Batch(
            inputs={k: v.to(device, non_blocking=non_blocking) for k, v in self.inputs.items()},
            pad_masks={k: v.to(device, non_blocking=non_blocking) for k, v in self.pad_masks.items()},
            labels={
                s: {k: v.to(device, non_blocking=non_blocking) for k, v in d.items()}
                for s, d in self.labels.items()
            },
        )

    def pin_memory(self) -> Batch:
        """Pin every tensor (used by the DataLoader when ``pin_memory=True``)."""
        return Batch(
            inputs={k: v.pin_memory() for k, v in self.inputs.items()},
            pad_masks={k: v.pin_memory() for k, v in self.pad_masks.items()},
            labels={s: {k: v.pin_memory() for k, v in d.items()} for s, d in self.labels.items()},
        )

    @property
    def batch_size(self) -> int:
        return int(next(iter(self.inputs.values())).shape[0])
