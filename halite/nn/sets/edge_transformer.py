"""Transformer encoder whose attention is biased by (optionally updated) pairwise edge features."""

from __future__ import annotations

from torch import Tensor, nn

from halite.nn.layers.activations import Activation
from halite.nn.layers.attention import key_mask_for_attention
from halite.nn.layers.dense import Dense
from halite.nn.layers.prenorm import AttentionFactory, PreNormBlock
from halite.nn.sets.base import SetEncoder


class EdgeUpdate(nn.Module):
    """``e_ij + MLP(LN(e_ij) + W_i x_i + W_j x_j)``: edge embeddings updated from their two nodes."""

    def __init__(self, embed_dim: int, edge_dim: int, activation: Activation) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(edge_dim)
        self.node_i = nn.Linear(embed_dim, edge_dim)
        self.node_j = nn.Linear(embed_dim, edge_dim, bias=False)
        self.dense = Dense(edge_dim, edge_dim, [edge_dim], activation=activation)

    def forward(self, e: Tensor, x: Tensor) -> Tensor:
        """``e`` ``(B, N, N, E)``, ``x`` ``(B, N, D)`` -> ``(B, N, N, E)``."""
        h = self.norm(e) + self.node_i(x)[:, :, None, :] + self.node_j(x)[:, None, :, :]
        return e + self.dense(h)


class EdgeTransformerEncoder(SetEncoder):
    """Pre-norm transformer with an edge-feature attention bias (ParT-style, arXiv:2202.03772).

    The model computes the raw edge features (``Model.edge_features``) and calls
    ``build_edges`` with their number. Edge features are embedded to
    ``edge_embed_dim``; in every layer a linear map of the (normalised) edge
    embedding gives one logit bias per head, and with ``update_edges`` the edge
    embeddings are updated from the node embeddings after each layer.

    Parameters
    ----------
    embed_dim
        Width ``D``.
    num_layers
        Number of blocks.
    num_heads
        Attention heads.
    edge_embed_dim
        Width of the edge embeddings.
    update_edges
        Update the edge embeddings after every layer.
    hidden_dim_scale
        MLP hidden width as a multiple of ``embed_dim``.
    activation
        MLP activation.
    dropout
        Dropout inside the blocks.
    out_dim
        If set, a final linear projection to this width.
    attention
        Attention builder (default SDPA); it must accept ``attn_bias``.
    """

    uses_edges = True

    def __init__(
        self,
        embed_dim: int,
        num_layers: int,
        num_heads: int = 8,
        edge_embed_dim: int = 32,
        update_edges: bool = False,
        hidden_dim_scale: int = 2,
        activation: Activation = "SiLU",
        dropout: float = 0.0,
        out_dim: int | None = None,
        attention: AttentionFactory | None = None,
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.edge_embed_dim = edge_embed_dim
        self.update_edges = update_edges
        self.activation = activation
        self.layers = nn.ModuleList(
            [
                PreNormBlock(embed_dim, num_heads, hidden_dim_scale, activation, dropout, attention)
                for _ in range(num_layers)
            ]
        )
        self.final_norm = nn.LayerNorm(embed_dim)
        self.out_proj = nn.Linear(embed_dim, out_dim) if out_dim else None
        self.out_features = out_dim or embed_dim
        self.edge_init: Dense | None = None

    def build_edges(self, num_edge_features: int) -> None:
        """Create the edge layers for ``num_edge_features`` raw edge features."""
        d_e = self.edge_embed_dim
        self.edge_init = Dense(num_edge_features, d_e, [d_e], activation=self.activation)
        self.edge_norms = nn.ModuleList([nn.LayerNorm(d_e) for _ in self.layers])
        self.edge_bias = nn.ModuleList([nn.Linear(d_e, self.num_heads) for _ in self.layers])
        n_updates = len(self.layers) - 1 if self.update_edges else 0
        self.edge_updates = nn.ModuleList(
            [EdgeUpdate(self.embed_dim, d_e, self.activation) for _ in range(n_updates)]
        )

    def forward(self, x: Tensor, pad_mask: Tensor | None = None, edge_x: Tensor | None = None) -> Tensor:
        """Encode ``x`` ``(B, N, D)`` with pad mask ``(B, N)`` and raw edges ``(B, N, N, E)``."""
        if self.edge_init is None or edge_x is None:
            msg = (
                "EdgeTransformerEncoder needs edge features: add `edge_features` (input_name, features) to "
                "the model's init_args."
            )
            raise ValueError(msg)
        attn_mask = key_mask_for_attention(pad_mask)
        e = self.edge_init(edge_x)
        for i, layer in enumerate(self.layers):
            bias = self.edge_bias[i](self.edge_norms[i](e)).permute(0, 3, 1, 2)  # (B, H, N, N)
            x = layer(x, attn_mask, bias)
            if i < len(self.edge_updates):
                e = self.edge_updates[i](e, x)
        x = self.final_norm(x)
        if self.out_proj is not None:
            x = self.out_proj(x)
        return x
