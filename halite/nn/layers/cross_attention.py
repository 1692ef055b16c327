"""Pre-norm cross-attention block: queries attend to another (padded) set."""

from __future__ import annotations

from torch import Tensor, nn

from halite.nn.layers.activations import Activation
from halite.nn.layers.attention import key_mask_for_attention
from halite.nn.layers.dense import Dense
from halite.nn.layers.prenorm import AttentionFactory, build_attention


class CrossAttentionLayer(nn.Module):
    """``q + CA(LN(q), LN(kv))`` then ``q + MLP(LN(q))`` (Vaswani et al., arXiv:1706.03762).

    Queries whose key set is empty get no attention update (they pass through the
    MLP only), so padded key slots never influence the output.

    Parameters
    ----------
    embed_dim
        Width ``D`` of queries and keys.
    num_heads
        Attention heads.
    hidden_dim_scale
        MLP hidden width as a multiple of ``embed_dim``.
    activation
        MLP activation.
    dropout
        Dropout on the attention weights and MLP hidden layer.
    attention
        Attention builder ``embed_dim -> module`` (default: ``ScaledDotProductAttention``).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int = 8,
        hidden_dim_scale: int = 2,
        activation: Activation = "SiLU",
        dropout: float = 0.0,
        attention: AttentionFactory | None = None,
    ) -> None:
        super().__init__()
        self.norm_q = nn.LayerNorm(embed_dim)
        self.norm_kv = nn.LayerNorm(embed_dim)
        self.attention = build_attention(attention, embed_dim, num_heads, dropout, "cross-attention block")
        self.norm_mlp = nn.LayerNorm(embed_dim)
        self.dense = Dense(
            embed_dim, embed_dim, [embed_dim * hidden_dim_scale], activation=activation, dropout=dropout
        )

    def forward(self, q: Tensor, kv: Tensor, kv_pad_mask: Tensor | None) -> Tensor:
        """Update queries ``q`` ``(B, Nq, D)`` from keys ``kv`` ``(B, Nk, D)`` with pad mask ``(B, Nk)``."""
        update = self.attention(
            self.norm_q(q), self.norm_kv(kv), attn_mask=key_mask_for_attention(kv_pad_mask)
        )
        if kv_pad_mask is not None:
            has_keys = (~kv_pad_mask).any(dim=-1).to(update.dtype)
            update = update * has_keys[:, None, None]
        q = q + update
        return q + self.dense(self.norm_mlp(q))
