"""Pre-norm transformer encoder over padded constituent sets."""

from __future__ import annotations

from torch import Tensor, nn

from halite.nn.layers.attention import ScaledDotProductAttention, key_mask_for_attention
from halite.nn.layers.dense import Activation, Dense
from halite.nn.layers.packing import Packing, packing_enabled


class EncoderLayer(nn.Module):
    """One pre-norm block: ``x + MHA(LN(x))`` then ``x + MLP(LN(x))``.

    Parameters
    ----------
    embed_dim
        Width ``D``.
    num_heads
        Attention heads.
    hidden_dim_scale
        MLP hidden width as a multiple of ``embed_dim``.
    activation
        MLP activation.
    dropout
        Dropout on the attention weights and MLP hidden layer.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int = 8,
        hidden_dim_scale: int = 2,
        activation: Activation = "SiLU",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dim)
        self.attention = ScaledDotProductAttention(embed_dim, num_heads, dropout)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.dense = Dense(
            embed_dim, embed_dim, [embed_dim * hidden_dim_scale], activation=activation, dropout=dropout
        )

    def forward(self, x: Tensor, attn_mask: Tensor | None) -> Tensor:
        """``x`` ``(B, N, D)``; ``attn_mask`` from ``key_mask_for_attention``."""
        x = x + self.attention(self.norm1(x), attn_mask=attn_mask)
        return x + self.dense(self.norm2(x))

    def forward_packed(self, x: Tensor, packing: Packing) -> Tensor:
        """The same block on packed valid constituents ``x`` ``(T, D)`` -> ``(T, D)``."""
        x = x + self.attention.forward_packed(self.norm1(x), packing)
        return x + self.dense(self.norm2(x))


class TransformerEncoder(nn.Module):
    """Stack of pre-norm self-attention blocks with an optional output projection.

    As used by GN2 (ATLAS, ATL-PHYS-PUB-2022-027). Padded slots never influence valid ones.

    Parameters
    ----------
    embed_dim
        Width ``D`` of the input embeddings and of every block.
    num_layers
        Number of blocks.
    num_heads
        Attention heads per block.
    hidden_dim_scale
        MLP hidden width as a multiple of ``embed_dim``.
    activation
        MLP activation.
    dropout
        Dropout inside the blocks.
    out_dim
        If set, a final ``LayerNorm`` + linear projection to this width.
    packed
        Run the per-constituent work (projections, MLPs, norms) on the valid
        constituents only (see ``halite.nn.layers.packing``); numerically the same as
        the padded computation. Padded output slots are then zero.
    """

    def __init__(
        self,
        embed_dim: int,
        num_layers: int,
        num_heads: int = 8,
        hidden_dim_scale: int = 2,
        activation: Activation = "SiLU",
        dropout: float = 0.0,
        out_dim: int | None = None,
        packed: bool = True,
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.layers = nn.ModuleList(
            [
                EncoderLayer(embed_dim, num_heads, hidden_dim_scale, activation, dropout)
                for _ in range(num_layers)
            ]
        )
        self.final_norm = nn.LayerNorm(embed_dim)
        self.out_proj = nn.Linear(embed_dim, out_dim) if out_dim else None
        self.out_features = out_dim or embed_dim
        self.packed = packed

    def forward(self, x: Tensor, pad_mask: Tensor | None = None) -> Tensor:
        """Encode ``x`` ``(B, N, D)`` with pad mask ``(B, N)`` -> ``(B, N, out_features)``."""
        if pad_mask is not None and packing_enabled(self.packed):
            packing = Packing.from_mask(pad_mask)
            return packing.unpack(self.forward_packed(packing.pack(x), packing))
        attn_mask = key_mask_for_attention(pad_mask)
        for layer in self.layers:
            x = layer(x, attn_mask)
        return self.project(x)

    def forward_packed(self, x: Tensor, packing: Packing) -> Tensor:
        """Encode packed valid constituents ``x`` ``(T, D)`` -> ``(T, out_features)``."""
        for layer in self.layers:
            x = layer.forward_packed(x, packing)
        return self.project(x)

    def project(self, x: Tensor) -> Tensor:
        """Final norm and optional output projection, ``(..., D)`` -> ``(..., out_features)``."""
        x = self.final_norm(x)
        return self.out_proj(x) if self.out_proj is not None else x
