"""RMSNorm (Zhang & Sennrich, arXiv:1910.07467) from plain ops, so that ONNX export (opset 18) holds it."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class RMSNorm(nn.Module):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the last axis, computed in float32.

    Parameters
    ----------
    width
        Features ``F`` of the last axis.
    eps
        Added to the mean square.
    """

    def __init__(self, width: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x: Tensor) -> Tensor:
        """``x`` ``(..., F)`` -> ``(..., F)``."""
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return h.type_as(x) * self.weight
