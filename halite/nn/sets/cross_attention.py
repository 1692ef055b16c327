"""Encoder for several constituent streams: self-attention per stream, cross-attention between them."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.nn.layers.activations import Activation
from halite.nn.layers.attention import key_mask_for_attention
from halite.nn.layers.cross_attention import CrossAttentionLayer
from halite.nn.layers.prenorm import AttentionFactory, PreNormBlock
from halite.nn.sets.base import SetEncoder


class TransformerCrossAttentionEncoder(SetEncoder):
    """Per-stream transformer blocks with cross-attention between streams.

    In every layer each stream runs its own self-attention block; then (in every
    layer with ``ca_every_layer``, otherwise after the last one) each stream
    cross-attends to the concatenation of all other streams. Streams may be empty
    for some jets (e.g. no electrons): such a stream gets no cross-attention
    update and gives none to the others.

    Parameters
    ----------
    input_names
        The constituent streams, e.g. ``[tracks, electrons]`` (each needs an init net).
    embed_dim
        Width ``D`` of every stream's embeddings.
    num_layers
        Number of self-attention layers per stream.
    num_heads
        Attention heads.
    ca_every_layer
        Cross-attend after every layer (True) or only after the last (False).
    hidden_dim_scale
        MLP hidden width as a multiple of ``embed_dim``.
    activation
        MLP activation.
    dropout
        Dropout inside the blocks.
    out_dim
        If set, a final linear projection (shared by the streams) to this width.
    attention
        Attention builder for all blocks (default ``ScaledDotProductAttention``).
    """

    multi_stream = True

    def __init__(
        self,
        input_names: list[str],
        embed_dim: int,
        num_layers: int,
        num_heads: int = 8,
        ca_every_layer: bool = False,
        hidden_dim_scale: int = 2,
        activation: Activation = "SiLU",
        dropout: float = 0.0,
        out_dim: int | None = None,
        attention: AttentionFactory | None = None,
    ) -> None:
        super().__init__()
        if len(input_names) < 2 or len(set(input_names)) != len(input_names):
            msg = (
                f"TransformerCrossAttentionEncoder needs at least two distinct input_names, got {input_names}. "
                f"Use TransformerEncoder for a single stream."
            )
            raise ValueError(msg)
        if num_layers < 1:
            msg = f"TransformerCrossAttentionEncoder needs num_layers >= 1, got {num_layers}."
            raise ValueError(msg)
        self.input_names: list[str] = list(input_names)
        self.embed_dim = embed_dim
        self.ca_layers = [i for i in range(num_layers) if ca_every_layer or i == num_layers - 1]
        args = (embed_dim, num_heads, hidden_dim_scale, activation, dropout, attention)
        self.self_attention = nn.ModuleList(
            [nn.ModuleDict({s: PreNormBlock(*args) for s in self.input_names}) for _ in range(num_layers)]
        )
        self.cross_attention = nn.ModuleList(
            [nn.ModuleDict({s: CrossAttentionLayer(*args) for s in self.input_names}) for _ in self.ca_layers]
        )
        self.final_norm = nn.LayerNorm(embed_dim)
        self.out_proj = nn.Linear(embed_dim, out_dim) if out_dim else None
        self.out_features = out_dim or embed_dim

    def forward(self, x: dict[str, Tensor], pad_masks: dict[str, Tensor]) -> dict[str, Tensor]:
        """Encode ``{stream: (B, N_s, D)}`` with pad masks ``{stream: (B, N_s)}``.

        Returns ``{stream: (B, N_s, out_features)}``.
        """
        missing = [s for s in self.input_names if s not in x]
        if missing:
            msg = f"TransformerCrossAttentionEncoder: streams {missing} missing from the inputs {sorted(x)}."
            raise ValueError(msg)
        attn_masks = {s: key_mask_for_attention(pad_masks[s]) for s in self.input_names}
        x = {s: x[s] for s in self.input_names}
        ca_index = 0
        for i, layers in enumerate(self.self_attention):
            assert isinstance(layers, nn.ModuleDict)
            x = {s: layers[s](x[s], attn_masks[s]) for s in self.input_names}
            if i in self.ca_layers:
                ca = self.cross_attention[ca_index]
                assert isinstance(ca, nn.ModuleDict)
                ca_index += 1
                new = {}
                for s in self.input_names:
                    others = [o for o in self.input_names if o != s]
                    kv = torch.cat([x[o] for o in others], dim=1)
                    kv_mask = torch.cat([pad_masks[o] for o in others], dim=1)
                    new[s] = ca[s](x[s], kv, kv_mask)
                x = new
        out = {s: self.final_norm(v) for s, v in x.items()}
        if self.out_proj is not None:
            out = {s: self.out_proj(v) for s, v in out.items()}
        return out
