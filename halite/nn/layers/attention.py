"""Multi-head attention built on ``torch.nn.functional.scaled_dot_product_attention``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from halite.nn.layers.packing import Packing
from halite.nn.layers.rmsnorm import RMSNorm


def key_mask_for_attention(pad_mask: Tensor | None) -> Tensor | None:
    """Turn a pad mask ``(B, N)`` (True = padding) into an SDPA mask ``(B, 1, 1, N)`` (True = attend).

    A jet whose slots are all padding attends to its first slot so the softmax stays finite;
    the outputs of padded slots are masked downstream.
    """
    if pad_mask is None:
        return None
    attend = ~pad_mask
    empty = ~attend.any(dim=-1, keepdim=True)
    first = torch.arange(pad_mask.shape[-1], device=pad_mask.device) == 0
    attend = attend | (empty & first)  # out of place and valid for zero slots (ONNX export)
    return attend[:, None, None, :]


def check_heads(embed_dim: int, num_heads: int, head_dim: int | None) -> int:
    """Validate the head layout and return the width per head."""
    if num_heads < 1 or embed_dim % num_heads:
        msg = f"embed_dim={embed_dim} is not divisible by num_heads={num_heads}; change one of them."
        raise ValueError(msg)
    if head_dim is not None and head_dim * num_heads != embed_dim:
        msg = (
            f"Attention head_dim={head_dim} with num_heads={num_heads} gives {head_dim * num_heads} but "
            f"embed_dim={embed_dim}; set head_dim to {embed_dim // num_heads} or leave it out."
        )
        raise ValueError(msg)
    return embed_dim // num_heads


def combine_mask_and_bias(attn_mask: Tensor | None, attn_bias: Tensor) -> Tensor:
    """Float logit bias ``(B, H, Nq, Nk)`` with ``-inf``-like values where ``attn_mask`` is False."""
    if attn_mask is None:
        return attn_bias
    return attn_bias.masked_fill(~attn_mask, torch.finfo(attn_bias.dtype).min)


class ScaledDotProductAttention(nn.Module):
    """Multi-head attention with fused SDPA kernels (Vaswani et al., arXiv:1706.03762).

    Parameters
    ----------
    embed_dim
        Width ``D`` of queries, keys and values.
    num_heads
        Number of heads; must divide ``embed_dim``.
    dropout
        Attention dropout (training only).
    head_dim
        Optional width per head; must equal ``embed_dim / num_heads`` when given.
    qkv_norm
        RMSNorm each head's queries, keys and values (width ``D / H``) before the dot product
        (salt's ``do_qk_norm`` and ``do_v_norm``, set by its ``norm_type: hybrid`` blocks).
    """

    supports_packing = True  # forward_packed: self-attention over packed constituents

    def __init__(
        self,
        embed_dim: int,
        num_heads: int = 8,
        dropout: float = 0.0,
        head_dim: int | None = None,
        qkv_norm: bool = False,
    ) -> None:
        super().__init__()
        self.head_dim = check_heads(embed_dim, num_heads, head_dim)
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.scale: float | None = None  # None: 1/sqrt(head_dim); muP sets 1/head_dim
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.kv_proj = nn.Linear(embed_dim, 2 * embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        self.qkv_norm = qkv_norm
        if qkv_norm:  # registered last: state-dict layouts without the norms are unchanged
            self.q_norm = RMSNorm(self.head_dim)
            self.k_norm = RMSNorm(self.head_dim)
            self.v_norm = RMSNorm(self.head_dim)

    def _normed(self, q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Per-head RMSNorm of ``q``, ``k``, ``v`` (``(..., D / H)``) when ``qkv_norm``."""
        if not self.qkv_norm:
            return q, k, v
        return self.q_norm(q), self.k_norm(k), self.v_norm(v)

    def forward(
        self,
        x: Tensor,
        kv: Tensor | None = None,
        attn_mask: Tensor | None = None,
        attn_bias: Tensor | None = None,
    ) -> Tensor:
        """Attend from ``x`` ``(B, Nq, D)`` to ``kv`` ``(B, Nk, D)`` (default ``x``).

        ``attn_mask`` is boolean, broadcastable to ``(B, H, Nq, Nk)``, True = attend
        (see ``key_mask_for_attention``). ``attn_bias`` ``(B, H, Nq, Nk)`` is added to
        the attention logits (edge features).
        """
        kv = x if kv is None else kv
        b, nq, _ = x.shape
        nk = kv.shape[1]
        q = self.q_proj(x).view(b, nq, self.num_heads, self.head_dim).transpose(1, 2)
        k, v = self.kv_proj(kv).view(b, nk, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = self._normed(q, k, v)
        if attn_bias is not None:
            attn_mask = combine_mask_and_bias(attn_mask, attn_bias)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.dropout if self.training else 0.0, scale=self.scale
        )
        return self.out_proj(out.transpose(1, 2).reshape(b, nq, self.embed_dim))

    def forward_packed(self, x: Tensor, packing: Packing) -> Tensor:
        """Self-attention within each jet for packed constituents ``x`` ``(T, D)`` -> ``(T, D)``.

        Each segment of jets of equal length ``L`` runs one fused SDPA call on
        ``(n_L, H, L, D / H)`` without padding or mask.
        """
        t = x.shape[0]
        q = self.q_proj(x).view(t, self.num_heads, self.head_dim)
        kv = self.kv_proj(x).view(t, 2, self.num_heads, self.head_dim)
        if self.qkv_norm:
            q, k, v = self._normed(q, kv[:, 0], kv[:, 1])
            kv = torch.stack([k, v], dim=1)
        dropout = self.dropout if self.training else 0.0
        outs = []
        sizes = [num * length for _, num, length in packing.segments]
        # split (not slicing): its backward is one cat instead of a zero-filled (T, D) per segment
        for (_, num, length), q_seg, kv_seg in zip(
            packing.segments, q.split(sizes), kv.split(sizes), strict=True
        ):
            qs = q_seg.view(num, length, self.num_heads, self.head_dim).transpose(1, 2)
            ks, vs = kv_seg.view(num, length, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
            out = F.scaled_dot_product_attention(qs, ks, vs, dropout_p=dropout, scale=self.scale)
            outs.append(out.transpose(1, 2).reshape(num * length, self.embed_dim))
        out = torch.cat(outs) if len(outs) > 1 else outs[0] if outs else x[:0]  # x[:0]: no constituents
        return self.out_proj(out)


def masked_softmax(scores: Tensor, pad_mask: Tensor, dim: int = 1) -> Tensor:
    """Softmax over ``dim`` ignoring padded entries; all-padding rows give zeros."""
    scores = scores.masked_fill(pad_mask, torch.finfo(scores.dtype).min)
    weights = torch.softmax(scores, dim=dim)
    return weights.masked_fill(pad_mask, 0.0)
