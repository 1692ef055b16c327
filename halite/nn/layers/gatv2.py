"""GATv2 attention: dynamic graph attention (Brody, Alon and Yahav, arXiv:2105.14491)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from halite.nn.layers.attention import check_heads


class GATv2Attention(nn.Module):
    """Multi-head GATv2 attention over (padded) sets.

    The logit of query ``i`` for key ``j`` in head ``h`` is
    ``a_h . LeakyReLU(W_q x_i + W_k x_j)`` (the GATv2 score, where the
    non-linearity sits between the two linear maps, so the ranking of keys can
    depend on the query). Values are ``W_v x_j``; heads are concatenated and
    projected back to ``embed_dim``. Drop-in replacement for
    ``ScaledDotProductAttention`` (same ``forward`` arguments).

    Parameters
    ----------
    embed_dim
        Width ``D`` of queries, keys and values (given by the encoder).
    num_heads
        Number of heads; must equal the encoder's ``num_heads``.
    head_dim
        Optional width per head; must equal ``embed_dim / num_heads`` when given.
    dropout
        Dropout on the attention weights (training only).
    negative_slope
        Slope of the LeakyReLU inside the score.

    Attributes
    ----------
    supports_packing
        False: no ``forward_packed``, so a ``TransformerEncoder`` with this attention runs padded.
    """

    supports_packing = False

    def __init__(
        self,
        embed_dim: int,
        num_heads: int = 8,
        head_dim: int | None = None,
        dropout: float = 0.0,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        self.head_dim = check_heads(embed_dim, num_heads, head_dim)
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.negative_slope = negative_slope
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.att = nn.Parameter(torch.empty(num_heads, self.head_dim))
        nn.init.xavier_uniform_(self.att)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def _heads(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)

    def scores(self, x: Tensor, kv: Tensor | None = None) -> Tensor:
        """GATv2 logits ``(B, H, Nq, Nk)`` of queries ``x`` ``(B, Nq, D)`` for keys ``kv``."""
        kv = x if kv is None else kv
        q = self._heads(self.q_proj(x))  # (B, H, Nq, Dh)
        k = self._heads(self.k_proj(kv))  # (B, H, Nk, Dh)
        hidden = F.leaky_relu(q.unsqueeze(3) + k.unsqueeze(2), self.negative_slope)  # (B, H, Nq, Nk, Dh)
        return torch.einsum("bhqkd,hd->bhqk", hidden, self.att)

    def forward(
        self,
        x: Tensor,
        kv: Tensor | None = None,
        attn_mask: Tensor | None = None,
        attn_bias: Tensor | None = None,
    ) -> Tensor:
        """Attend from ``x`` ``(B, Nq, D)`` to ``kv`` ``(B, Nk, D)`` (default ``x``).

        ``attn_mask`` boolean, broadcastable to ``(B, H, Nq, Nk)``, True = attend;
        ``attn_bias`` ``(B, H, Nq, Nk)`` is added to the logits.
        """
        kv = x if kv is None else kv
        logits = self.scores(x, kv)
        if attn_bias is not None:
            logits = logits + attn_bias
        if attn_mask is not None:
            logits = logits.masked_fill(~attn_mask, torch.finfo(logits.dtype).min)
        weights = torch.softmax(logits, dim=-1)
        if self.training and self.dropout > 0:
            weights = F.dropout(weights, self.dropout)
        out = weights @ self._heads(self.v_proj(kv))  # (B, H, Nq, Dh)
        b, nq, _ = x.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, nq, self.embed_dim))
