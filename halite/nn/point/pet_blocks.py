"""PET2's transformer blocks: self-attention over particles and class attention of the class tokens.

Parameter names and shapes are OmniLearned 0.2.0's (``AttBlock``, ``TokenAttBlock``; the attention
holds ``in_proj_weight`` and ``out_proj`` as ``torch.nn.MultiheadAttention(bias=False)`` does). Masks
are additive floats (``NEG`` on padded keys), so that a row without valid keys stays finite.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from halite.nn.point.pet_layers import MLP, NormName, make_norm

NEG = -1e9  # OmniLearned's additive mask value


class Attention(nn.Module):
    """Multi-head attention without biases: packed ``in_proj_weight`` ``(3D, D)`` and ``out_proj``.

    Parameters
    ----------
    dim
        Embedding width.
    num_heads
        Heads (``dim`` must divide by it).
    dropout
        Dropout on the attention weights (training only).
    """

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            msg = f"PET2 base_dim {dim} must be divisible by num_heads {num_heads}."
            raise ValueError(msg)
        self.num_heads, self.dropout = num_heads, dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.out_proj = nn.Linear(dim, dim, bias=False)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, query: Tensor, key: Tensor, mask: Tensor) -> Tensor:
        """Queries ``(..., L, D)``, keys = values ``(..., S, D)``, additive mask ``(..., H|1, L|1, S)``."""
        d = key.shape[-1]
        h = self.num_heads
        wq, wk, wv = self.in_proj_weight.chunk(3)
        q = F.linear(query, wq).unflatten(-1, (h, d // h)).transpose(-2, -3)
        k = F.linear(key, wk).unflatten(-1, (h, d // h)).transpose(-2, -3)
        v = F.linear(key, wv).unflatten(-1, (h, d // h)).transpose(-2, -3)
        drop = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=drop, scale=1 / math.sqrt(d // h)
        )
        # heads merged inside the output projection: no reshape of the leading dims, so the exported
        # graph also serves sequences of zero particles
        w = self.out_proj.weight.view(d, h, d // h)
        return torch.einsum("...hle,ohe->...lo", out, w)


class AttBlock(nn.Module):
    """Pre-norm self-attention block, masked: ``x + m * Attn(N1(m x))``, ``y + MLP(N2(y)) m``.

    Parameters
    ----------
    dim, num_heads, mlp_ratio
        Width, heads and MLP hidden-width ratio.
    attn_drop, mlp_drop
        Dropout of the attention weights and in the MLP.
    act_layer, norm_layer
        Activation and norm names.
    skip
        A ``skip_linear`` merging a long skip connection (the second half of a U-shaped body).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float,
        attn_drop: float,
        mlp_drop: float,
        act_layer: str,
        norm_layer: NormName,
        skip: bool = False,
    ) -> None:
        super().__init__()
        self.norm1 = make_norm(norm_layer, dim)
        self.norm2 = make_norm(norm_layer, dim)
        self.attn = Attention(dim, num_heads, attn_drop)
        self.mlp = MLP(dim, int(dim * mlp_ratio), dim, act_layer, mlp_drop, norm_layer)
        self.skip_linear = nn.Linear(2 * dim, dim) if skip else None

    def forward(self, x: Tensor, mask: Tensor, attn_mask: Tensor, skip: Tensor | None = None) -> Tensor:
        """Tokens ``(B, M, D)``, float mask ``(B, M, 1)``, additive ``attn_mask`` ``(B, H|1, M, M)``."""
        if self.skip_linear is not None and skip is not None:
            x = self.skip_linear(torch.cat([x, skip], dim=-1)) * mask
        xn = self.norm1(x * mask)
        x = x + self.attn(xn, xn, attn_mask) * mask
        return x + self.mlp(self.norm2(x), mask)


class TokenAttBlock(nn.Module):
    """Class attention: the first ``num_tokens`` tokens attend to the rest, which pass unchanged.

    ``t + Attn(t, x)``, then ``t + MLP(N(t))`` (no norm before the attention, as in OmniLearned).

    Parameters
    ----------
    dim, num_heads, mlp_ratio
        Width, heads and MLP hidden-width ratio.
    attn_drop, mlp_drop
        Dropout of the attention weights and in the MLP.
    act_layer, norm_layer
        Activation and norm names.
    num_tokens
        Class tokens at the front of the sequence.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float,
        attn_drop: float,
        mlp_drop: float,
        act_layer: str,
        norm_layer: NormName,
        num_tokens: int,
    ) -> None:
        super().__init__()
        self.norm = make_norm(norm_layer, dim)
        self.num_tokens = num_tokens
        self.attn = Attention(dim, num_heads, attn_drop)
        self.mlp = MLP(dim, int(dim * mlp_ratio), dim, act_layer, mlp_drop, norm_layer)

    def forward(self, x: Tensor, key_mask: Tensor) -> Tensor:
        """Sequence ``(B, T + S, D)``, additive key mask ``(B, 1, 1, S)`` of the ``S`` non-token entries."""
        tokens, rest = x[:, : self.num_tokens], x[:, self.num_tokens :]
        tokens = tokens + self.attn(tokens, rest, key_mask)
        tokens = tokens + self.mlp(self.norm(tokens))
        return torch.cat([tokens, rest], dim=1)


def pair_mask(valid: Tensor) -> Tensor:
    """Additive mask ``(..., 1, M, M)``: ``NEG`` where the query or the key is padding; ``valid`` ``(..., M)`` float."""
    both = valid.unsqueeze(-1) * valid.unsqueeze(-2)
    return ((1.0 - both) * NEG).unsqueeze(-3)


def key_mask(valid: Tensor) -> Tensor:
    """Additive mask ``(B, 1, 1, S)``: ``NEG`` on padded keys; ``valid`` ``(B, S)`` float."""
    return ((1.0 - valid) * NEG)[:, None, None, :]
