"""Pooling: constituent embeddings ``(B, N, D)`` -> one global representation ``(B, D)``."""

from __future__ import annotations

from torch import Tensor, nn

from halite.nn.layers.attention import masked_softmax


class Pooling(nn.Module):
    """Base class: pooling blocks are built late, once the encoder width is known."""

    out_features: int

    def build(self, input_size: int) -> None:
        """Create the parameters for inputs of width ``input_size``."""
        raise NotImplementedError

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        raise NotImplementedError


class GlobalAttentionPooling(Pooling):
    """Attention-weighted sum over valid constituents (Li et al., arXiv:1511.05493).

    A gate ``Linear(D, 1)`` scores each constituent, a softmax over valid ones gives
    weights, and the pooled vector is the weighted sum. Jets with no constituents pool
    to zeros.
    """

    def __init__(self) -> None:
        super().__init__()
        self.gate: nn.Linear | None = None

    def build(self, input_size: int) -> None:
        self.gate = nn.Linear(input_size, 1)
        self.out_features = input_size

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        """``x`` ``(B, N, D)``, ``pad_mask`` ``(B, N)`` -> ``(B, D)``."""
        assert self.gate is not None, "build() must be called first"
        weights = masked_softmax(self.gate(x).squeeze(-1), pad_mask, dim=1)
        return (weights.unsqueeze(-1) * x).sum(dim=1)


class MeanPooling(Pooling):
    """Mean over valid constituents (zeros for an empty jet)."""

    def build(self, input_size: int) -> None:
        self.out_features = input_size

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        valid = (~pad_mask).unsqueeze(-1).to(x.dtype)
        return (x * valid).sum(1) / valid.sum(1).clamp(min=1.0)
