"""Particle Transformer (Qu, Li & Qian, arXiv:2202.03772)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.nn.layers.dense import mlp
from halite.nn.layers.pairwise import pair_features
from halite.nn.layers.prenorm import ClassAttentionBlock, PreNormBlock, additive_mask
from halite.nn.point.base import Kinematics, PointBackbone, column
from halite.typing import Masks, Tensors


def _mlp(sizes: list[int], norm_first: bool) -> nn.Sequential:
    """``[LN] Linear GELU`` per layer (the paper's embeddings), from the one MLP builder."""
    return mlp(sizes, "GELU", act_last=True, norm="LayerNorm" if norm_first else None, norm_at="input")


class ParticleTransformer(PointBackbone):
    """Particle attention blocks with pairwise interaction bias, then class-attention blocks.

    Defaults are the paper's: particle embedding ``[128, 512, 128]``, pair embedding
    ``[64, 64, 64]`` of ``(ln Δ, ln kT, ln z, ln m²)`` to one bias per head, 8 particle
    attention blocks (width 128, 8 heads, MLP ratio 4, NormFormer-style extra norms),
    2 class-attention blocks. The pair embedding uses linear layers on each pair
    (equivalent to the paper's 1x1 convolutions) without batch normalisation.

    Parameters
    ----------
    stream
        Particle stream.
    kinematics
        Variables holding the four-momentum.
    embed_dims, pair_embed_dims
        Widths of the particle and pair embeddings.
    num_heads, num_layers, num_cls_layers, mlp_ratio, dropout
        Transformer sizes.
    use_global
        Add the global object's features to the class token.
    """

    def __init__(
        self,
        stream: str = "particles",
        kinematics: Kinematics | None = None,
        embed_dims: list[int] | None = None,
        pair_embed_dims: list[int] | None = None,
        num_heads: int = 8,
        num_layers: int = 8,
        num_cls_layers: int = 2,
        mlp_ratio: float = 4.0,
        dropout: float = 0.1,
        use_global: bool = False,
    ) -> None:
        super().__init__()
        self.stream, self.use_global = stream, use_global
        self.kin = kinematics or Kinematics()
        self.embed_dims = embed_dims or [128, 512, 128]
        pair_dims = pair_embed_dims or [64, 64, 64]
        d = self.embed_dims[-1]
        self.out_features = d
        self.num_heads = num_heads
        self.pair_embed = nn.Sequential(
            _mlp([4, *pair_dims], norm_first=False), nn.Linear(pair_dims[-1], num_heads)
        )
        self.blocks = nn.ModuleList(
            [
                PreNormBlock.point(d, num_heads, mlp_ratio, dropout, dropout, normformer=True)
                for _ in range(num_layers)
            ]
        )
        self.cls_blocks = nn.ModuleList(
            [ClassAttentionBlock(d, num_heads, mlp_ratio, 0.0) for _ in range(num_cls_layers)]
        )
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        nn.init.trunc_normal_(self.cls, std=0.02)
        self.norm = nn.LayerNorm(d)

    def build_points(self, variables: dict[str, list[str]], global_object: str) -> None:
        k = self.kin
        self.kin_idx = tuple(
            column(variables, self.stream, v, "ParticleTransformer") for v in (k.pt, k.eta, k.phi, k.energy)
        )
        self.embed = _mlp([len(variables[self.stream]), *self.embed_dims], norm_first=True)
        self.global_object = global_object
        n_glob = len(variables.get(global_object, []))
        self.cond = nn.Linear(n_glob, self.out_features) if self.use_global and n_glob else None
        self.input_streams = [global_object, self.stream] if self.cond is not None else [self.stream]

    def encode(self, normed: Tensors, raw: Tensors, pad_masks: Masks) -> Tensor:
        x, mask = normed[self.stream], pad_masks[self.stream]
        h = self.embed(x).masked_fill(mask.unsqueeze(-1), 0.0)
        pt, eta, phi, e = self.kinematics(raw[self.stream], self.kin_idx, self.kin.angular_scale)
        bias = self.pair_embed(pair_features(pt, eta, phi, e)).permute(0, 3, 1, 2)
        attn = additive_mask(mask, bias)
        for block in self.blocks:
            h = block(h, attn)
        cls = self.cls.expand(h.shape[0], -1, -1)
        if self.cond is not None:
            cls = cls + self.cond(normed[self.global_object]).unsqueeze(1)
        for block in self.cls_blocks:
            cls = block(cls, h, mask)
        return self.norm(cls[:, 0])
