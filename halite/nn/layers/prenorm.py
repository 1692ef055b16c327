"""Transformer blocks with an additive attention bias, and class-attention blocks.

Used by the point-cloud encoders (ViT, PET2, ParT). The bias carries pairwise
interaction features (Qu et al., arXiv:2202.03772) and the padding mask.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.nn.layers.attention import ScaledDotProductAttention

NEG = -1e9  # additive mask value: finite so that fully masked rows stay finite


def additive_mask(pad_mask: Tensor, bias: Tensor | None = None) -> Tensor:
    """Float SDPA mask ``(B, H|1, N, N)``: ``bias`` (or 0) plus ``NEG`` on padded keys."""
    mask = pad_mask[:, None, None, :].to(torch.float32) * NEG
    return mask if bias is None else mask + bias


class Mlp(nn.Module):
    """``Linear -> GELU -> (LayerNorm) -> Linear`` with dropout."""

    def __init__(self, dim: int, ratio: float = 4.0, dropout: float = 0.0, inner_norm: bool = False) -> None:
        super().__init__()
        hidden = int(dim * ratio)
        self.net = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.GELU(),
            nn.LayerNorm(hidden) if inner_norm else nn.Identity(),
            nn.Dropout(dropout),
            nn.Linear(hidden, dim),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class BiasedBlock(nn.Module):
    """Pre-norm block ``X' = X + MHSA(LN(X); bias)``, ``Y = X' + MLP(LN(X'))``.

    Parameters
    ----------
    dim
        Token width ``D``.
    num_heads
        Attention heads.
    mlp_ratio
        MLP hidden width / ``D``.
    dropout
        Dropout on the MLP and the residual branches.
    attn_dropout
        Dropout on the attention weights.
    normformer
        Extra LayerNorms after attention and inside the MLP (as in ParT).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        attn_dropout: float = 0.0,
        normformer: bool = False,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ScaledDotProductAttention(dim, num_heads, attn_dropout)
        self.post_attn_norm = nn.LayerNorm(dim) if normformer else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_ratio, dropout, inner_norm=normformer)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``x`` ``(B, N, D)``; ``mask`` from ``additive_mask``."""
        x = x + self.drop(self.post_attn_norm(self.attn(self.norm1(x), attn_mask=mask)))
        return x + self.drop(self.mlp(self.norm2(x)))


class ClassAttentionBlock(nn.Module):
    """Class token attends to ``[cls; tokens]`` (Touvron et al., CaiT, arXiv:2103.17239)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ScaledDotProductAttention(dim, num_heads, 0.0)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_ratio, dropout)

    def forward(self, cls: Tensor, x: Tensor, pad_mask: Tensor) -> Tensor:
        """``cls`` ``(B, 1, D)``, ``x`` ``(B, N, D)``, ``pad_mask`` ``(B, N)`` -> ``(B, 1, D)``."""
        kv = torch.cat([cls, x], dim=1)
        keys_pad = torch.cat([torch.zeros_like(pad_mask[:, :1]), pad_mask], dim=1)
        cls = cls + self.attn(self.norm1(cls), self.norm1(kv), attn_mask=additive_mask(keys_pad))
        return cls + self.mlp(self.norm2(cls))
