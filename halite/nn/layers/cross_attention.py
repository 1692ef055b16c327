"""Pre-norm cross-attention block: queries attend to another (padded) set."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from halite.nn.layers.attention import ScaledDotProductAttention, key_mask_for_attention
from halite.nn.layers.dense import Activation, Dense


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
        attention: Callable[[int], nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.norm_q = nn.LayerNorm(embed_dim)
        self.norm_kv = nn.LayerNorm(embed_dim)
        if attention is None:
            self.attention: nn.Module = ScaledDotProductAttention(embed_dim, num_heads, dropout)
        else:
            self.attention = attention(embed_dim)
            if getattr(self.attention, "num_heads", None) != num_heads:
                msg = (
                    f"Cross-attention: the attention {type(self.attention).__name__} has num_heads="
                    f"{getattr(self.attention, 'num_heads', None)} but the block has num_heads={num_heads}. "
                    f"Set the same num_heads in both."
                )
                raise ValueError(msg)
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
