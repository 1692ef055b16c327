"""Pre-norm transformer encoder over padded constituent sets."""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

from halite.nn.layers.activations import Activation
from halite.nn.layers.attention import key_mask_for_attention
from halite.nn.layers.packing import Packing, packing_enabled
from halite.nn.layers.prenorm import AttentionFactory, NormType, PreNormBlock, make_norm
from halite.nn.sets.base import SetEncoder


class TransformerEncoder(SetEncoder):
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
    attention
        Attention builder for every block (default: ``ScaledDotProductAttention``); e.g.
        ``GATv2Attention`` from the ``configs/GATv2.yaml`` fragment. Its ``num_heads`` must
        equal ``num_heads``.
    packed
        Run the per-constituent work (projections, MLPs, norms) and attention on the
        valid constituents only (see ``halite.nn.layers.packing``); numerically the same
        as the padded computation, padded output slots are then zero. Used when the
        attention declares ``supports_packing`` (``ScaledDotProductAttention``; not
        ``GATv2Attention``).
    norm
        Norm of every block and the final norm: ``LayerNorm`` or ``RMSNorm`` (salt's ``norm``).
    gated
        Gated (GLU) feed-forward in every block (salt's ``dense_kwargs.gated``).
    final_norm_at
        Where the final norm sits: ``input`` of the output projection (width ``embed_dim``),
        ``output`` of it (width ``out_features``, as salt's ``do_final_norm``), or ``none``.
    """

    supports_packing = True

    def __init__(
        self,
        embed_dim: int,
        num_layers: int,
        num_heads: int = 8,
        hidden_dim_scale: int = 2,
        activation: Activation = "SiLU",
        dropout: float = 0.0,
        out_dim: int | None = None,
        attention: AttentionFactory | None = None,
        packed: bool = True,
        norm: NormType = "LayerNorm",
        gated: bool = False,
        final_norm_at: Literal["input", "output", "none"] = "input",
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.layers = nn.ModuleList(
            [
                PreNormBlock(
                    embed_dim,
                    num_heads,
                    hidden_dim_scale,
                    activation,
                    dropout,
                    attention,
                    norm=norm,
                    gated=gated,
                )
                for _ in range(num_layers)
            ]
        )
        if final_norm_at not in ("input", "output", "none"):
            msg = f"TransformerEncoder final_norm_at={final_norm_at!r}: choose input, output or none."
            raise ValueError(msg)
        self.final_norm_at = final_norm_at
        self.out_features = out_dim or embed_dim
        width = self.out_features if final_norm_at == "output" else embed_dim
        # registered before out_proj: the state-dict key order of existing checkpoints
        self.final_norm = make_norm(norm, width) if final_norm_at != "none" else nn.Identity()
        self.out_proj = nn.Linear(embed_dim, out_dim) if out_dim else None
        self.packed = packed and all(_attention_packs(layer) for layer in self.layers)

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
            x = layer(x, None, packing=packing)  # a module call, so forward hooks see every block
        return self.project(x)

    def project(self, x: Tensor) -> Tensor:
        """Final norm and optional output projection, ``(..., D)`` -> ``(..., out_features)``."""
        if self.final_norm_at == "input":
            x = self.final_norm(x)
        x = self.out_proj(x) if self.out_proj is not None else x
        return self.final_norm(x) if self.final_norm_at == "output" else x


def _attention_packs(block: nn.Module) -> bool:
    """Whether the attention of a ``PreNormBlock`` declares ``supports_packing``."""
    assert isinstance(block, PreNormBlock)
    return bool(block.attention.supports_packing)
