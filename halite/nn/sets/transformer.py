"""Pre-norm transformer encoder over padded constituent sets."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from halite.nn.layers.activations import Activation
from halite.nn.layers.attention import key_mask_for_attention
from halite.nn.layers.packing import Packing, packing_enabled
from halite.nn.layers.prenorm import AttentionFactory, NormPlacement, NormType, PreNormBlock, make_norm
from halite.nn.sets.base import LayerHook, SetEncoder


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
    mup, muP
        salt's muP flag (``muP`` before salt 0.11.1): the encoder is scaled by the model's muP
        set-up (``model.mup`` / ``model.mup_config``), which is an error without one.
    norm
        Norm of every block and the final norm: ``LayerNorm`` or ``RMSNorm`` (salt's ``norm``).
    norm_affine
        ``False``: those ``LayerNorm``s have no learned scale and bias, as salt's ``LayerNorm``
        (halite's default keeps them).
    gated
        Gated (GLU) feed-forward in every block (salt's ``dense_kwargs.gated``).
    final_norm_at
        Where the final norm sits: ``input`` of the output projection (width ``embed_dim``),
        ``output`` of it (width ``out_features``, as salt's ``do_final_norm``), or ``none``.
    num_registers
        Learned register tokens appended to every set (salt's ``num_registers``; Darcet et al.,
        arXiv:2309.16588): constituents attend to them.
    norm_type
        Where the block norms sit (salt's ``norm_type``): ``pre`` (default), ``post`` or ``hybrid``
        (per-head q / k / v RMSNorm, see ``halite.nn.layers.prenorm.NormPlacement``).
    drop_registers
        Drop the register tokens from the output (halite's default). ``False`` (salt's default)
        keeps them: ``forward`` returns the constituents then the ``num_registers`` registers
        (``output_registers``), which the model pools with the constituents; per-constituent
        tasks never see them.

    Notes
    -----
    ``forward(x, pad_mask, layer_hook=hook)`` applies ``hook(i, x, packing)`` to every token
    (register tokens included) before block ``i`` (``supports_layer_hook``; e.g. salt's
    per-layer FiLM, ``featurewise_nets`` with ``layer: encoder_layers``).
    """

    supports_packing = True
    supports_layer_hook = True

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
        mup: bool = False,
        muP: bool = False,
        norm: NormType = "LayerNorm",
        gated: bool = False,
        final_norm_at: Literal["input", "output", "none"] = "input",
        num_registers: int = 0,
        norm_type: NormPlacement = "pre",
        drop_registers: bool = True,
        norm_affine: bool = True,
    ) -> None:
        super().__init__()
        self.mup = mup or muP  # checked against the muP set-up
        if num_registers < 0:
            msg = f"TransformerEncoder num_registers must be >= 0, got {num_registers}."
            raise ValueError(msg)
        self.embed_dim = embed_dim
        self.num_layers = num_layers
        self.num_registers = num_registers
        self.drop_registers = drop_registers
        self.output_registers = 0 if drop_registers else num_registers
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
                    norm_type=norm_type,
                    depth=depth,
                    norm_affine=norm_affine,
                )
                for depth in range(num_layers)
            ]
        )
        if final_norm_at not in ("input", "output", "none"):
            msg = f"TransformerEncoder final_norm_at={final_norm_at!r}: choose input, output or none."
            raise ValueError(msg)
        self.final_norm_at = final_norm_at
        self.out_features = out_dim or embed_dim
        width = self.out_features if final_norm_at == "output" else embed_dim
        # registered before out_proj: the state-dict key order of existing checkpoints
        self.final_norm = make_norm(norm, width, norm_affine) if final_norm_at != "none" else nn.Identity()
        self.out_proj = nn.Linear(embed_dim, out_dim) if out_dim else None
        self.packed = packed and all(_attention_packs(layer) for layer in self.layers)
        if num_registers:  # registered last: existing state-dict layouts are unchanged without registers
            self.registers = nn.Parameter(torch.randn(num_registers, embed_dim) * 1e-4)

    def _with_registers(self, x: Tensor, pad_mask: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """Append the registers: ``(B, N, D)`` -> ``(B, N + R, D)``, the mask -> ``(B, N + R)``."""
        if not self.num_registers:
            return x, pad_mask
        regs = self.registers.to(x.dtype).unsqueeze(0).expand(x.shape[0], -1, -1)
        if pad_mask is None:
            pad_mask = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
        reg_mask = torch.zeros((x.shape[0], self.num_registers), dtype=torch.bool, device=x.device)
        return torch.cat([x, regs], dim=1), torch.cat([pad_mask, reg_mask], dim=1)

    def forward(
        self, x: Tensor, pad_mask: Tensor | None = None, layer_hook: LayerHook | None = None
    ) -> Tensor:
        """Encode ``x`` ``(B, N, D)`` with pad mask ``(B, N)`` -> ``(B, N + output_registers, out_features)``.

        ``layer_hook(i, x, packing)`` transforms the tokens before block ``i`` (see the class notes).
        """
        n = x.shape[1] + self.output_registers
        x, pad_mask = self._with_registers(x, pad_mask)
        if pad_mask is not None and packing_enabled(self.packed):
            packing = Packing.from_mask(pad_mask)
            return packing.unpack(self._blocks_packed(packing.pack(x), packing, layer_hook))[:, :n]
        attn_mask = key_mask_for_attention(pad_mask)
        for i, layer in enumerate(self.layers):
            if layer_hook is not None:
                x = layer_hook(i, x, None)
            x = layer(x, attn_mask)
        return self.project(x)[:, :n]

    def forward_packed(self, x: Tensor, packing: Packing, layer_hook: LayerHook | None = None) -> Tensor:
        """Encode packed valid constituents ``x`` ``(T, D)`` -> ``(T, out_features)`` (no registers)."""
        if not self.num_registers:
            return self._blocks_packed(x, packing, layer_hook)
        n = packing.pad_mask.shape[1]
        padded, mask = self._with_registers(packing.unpack(x), packing.pad_mask)
        assert mask is not None
        inner = Packing.from_mask(mask)
        encoded = inner.unpack(self._blocks_packed(inner.pack(padded), inner, layer_hook))
        return packing.pack(encoded[:, :n])

    def _blocks_packed(self, x: Tensor, packing: Packing, layer_hook: LayerHook | None = None) -> Tensor:
        for i, layer in enumerate(self.layers):
            if layer_hook is not None:
                x = layer_hook(i, x, packing)
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
