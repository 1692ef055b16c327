"""Pooling: constituent embeddings ``(B, N, D)`` -> one global representation ``(B, D)``."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from halite.nn.layers.attention import masked_softmax
from halite.nn.layers.cross_attention import CrossAttentionLayer
from halite.nn.layers.dense import Activation


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


class CrossAttentionPooling(Pooling):
    """A learnable class token attends to the constituents (CaiT, Touvron et al., arXiv:2103.17239).

    ``num_layers`` cross-attention blocks update the token from the encoder output;
    the final token (after a ``LayerNorm``) is the pooled representation. Jets with
    no constituents pool to the (normalised) learned token.

    Parameters
    ----------
    num_layers
        Cross-attention blocks.
    num_heads
        Attention heads per block.
    hidden_dim_scale
        MLP hidden width as a multiple of the input width.
    activation
        MLP activation.
    dropout
        Dropout inside the blocks.
    attention
        Attention builder ``embed_dim -> module`` (default SDPA; e.g. ``GATv2Attention``).
    """

    def __init__(
        self,
        num_layers: int = 2,
        num_heads: int = 8,
        hidden_dim_scale: int = 2,
        activation: Activation = "SiLU",
        dropout: float = 0.0,
        attention: Callable[[int], nn.Module] | None = None,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            msg = f"CrossAttentionPooling needs num_layers >= 1, got {num_layers}."
            raise ValueError(msg)
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim_scale = hidden_dim_scale
        self.activation = activation
        self.dropout = dropout
        self.attention = attention
        self.layers: nn.ModuleList | None = None

    def build(self, input_size: int) -> None:
        self.class_token = nn.Parameter(torch.randn(1, 1, input_size) * 0.02)
        self.layers = nn.ModuleList(
            [
                CrossAttentionLayer(
                    input_size,
                    self.num_heads,
                    self.hidden_dim_scale,
                    self.activation,
                    self.dropout,
                    self.attention,
                )
                for _ in range(self.num_layers)
            ]
        )
        self.norm = nn.LayerNorm(input_size)
        self.out_features = input_size

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        """``x`` ``(B, N, D)``, ``pad_mask`` ``(B, N)`` -> ``(B, D)``."""
        assert self.layers is not None, "build() must be called first"
        token = self.class_token.expand(x.shape[0], 1, -1)
        for layer in self.layers:
            token = layer(token, x, pad_mask)
        return self.norm(token.squeeze(1))
