"""PET2 point-edge transformer, after OmniLearned (Mikuni & Nachman, arXiv:2502.14652).

Particles are embedded, enriched with local kNN (edge) features in ``(η, φ)``,
conditioned on jet-level features, and encoded by transformer blocks whose attention
carries a pairwise bias from ``ln m², ln ΔR, ln kT``; a class token is the readout.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from halite.nn.layers.dense import mlp
from halite.nn.layers.pairwise import knn_indices, pair_features
from halite.nn.layers.prenorm import PreNormBlock, additive_mask
from halite.nn.point.base import Kinematics, PointBackbone, column, prepend
from halite.typing import Masks, Tensors

Preset = Literal["small", "medium", "large"]
#: preset -> (base_dim, num_heads, num_blocks)
PET2_PRESETS: dict[Preset, tuple[int, int, int]] = {
    "small": (128, 8, 8),
    "medium": (512, 16, 12),
    "large": (1024, 32, 28),
}
PAIR_IDX = [3, 0, 1]  # ln m², ln ΔR, ln kT from halite.nn.layers.pairwise.pair_features


class PET2(PointBackbone):
    """Point-edge transformer with pairwise attention bias and jet-level conditioning.

    Parameters
    ----------
    stream
        Particle stream.
    preset
        ``small`` (128, 8 heads, 8 blocks), ``medium`` (512, 16, 12) or ``large``
        (1024, 32, 28); explicit sizes override it.
    base_dim, num_heads, num_blocks
        Sizes (default: from the preset).
    kinematics
        Variables holding the four-momentum (pairwise bias, neighbourhoods).
    k
        Neighbours in the local (edge) features.
    pid, num_pid
        Optional categorical particle id, embedded.
    use_global
        Condition every token on the global object's features.
    mlp_ratio, dropout
        Block MLP width ratio and dropout.
    pair_hidden
        Hidden width of the pairwise-bias MLP.
    """

    def __init__(
        self,
        stream: str = "particles",
        preset: Preset | None = "small",
        base_dim: int | None = None,
        num_heads: int | None = None,
        num_blocks: int | None = None,
        kinematics: Kinematics | None = None,
        k: int = 10,
        pid: str | None = None,
        num_pid: int = 8,
        use_global: bool = True,
        mlp_ratio: float = 2.0,
        dropout: float = 0.0,
        pair_hidden: int = 64,
    ) -> None:
        super().__init__()
        if preset is None and None in (base_dim, num_heads, num_blocks):
            msg = "PET2 needs a preset (small|medium|large) or all of base_dim, num_heads, num_blocks."
            raise ValueError(msg)
        p = PET2_PRESETS[preset] if preset else (0, 0, 0)
        self.base_dim = base_dim or p[0]
        self.num_heads = num_heads or p[1]
        self.num_blocks = num_blocks or p[2]
        self.stream, self.k, self.pid, self.num_pid, self.use_global = stream, k, pid, num_pid, use_global
        self.kin = kinematics or Kinematics()
        d = self.base_dim
        self.out_features = d
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        nn.init.trunc_normal_(self.cls, std=0.02)
        self.local = mlp([2 * d, d, d], "GELU")
        self.pair = mlp([3, pair_hidden, self.num_heads], "GELU")
        self.blocks = nn.ModuleList(
            [PreNormBlock.point(d, self.num_heads, mlp_ratio, dropout) for _ in range(self.num_blocks)]
        )
        self.norm = nn.LayerNorm(d)

    def build_points(self, variables: dict[str, list[str]], global_object: str) -> None:
        what = "PET2"
        k = self.kin
        self.kin_idx = tuple(column(variables, self.stream, v, what) for v in (k.pt, k.eta, k.phi, k.energy))
        self.pid_idx = column(variables, self.stream, self.pid, what) if self.pid else None
        self.cont_idx = [i for i in range(len(variables[self.stream])) if i != self.pid_idx]
        n_in = len(self.cont_idx)
        d = self.base_dim
        self.embed = mlp([n_in, d, d], "GELU")
        self.pid_embed = nn.Embedding(self.num_pid, d) if self.pid else None
        self.global_object = global_object
        n_glob = len(variables.get(global_object, []))
        self.cond = mlp([n_glob, d, d], "GELU") if self.use_global and n_glob else None
        self.input_streams = [global_object, self.stream] if self.cond is not None else [self.stream]

    def encode(self, normed: Tensors, raw: Tensors, pad_masks: Masks) -> Tensor:
        x, mask = normed[self.stream], pad_masks[self.stream]
        h = self.embed(x[..., self.cont_idx])
        if self.pid_embed is not None and self.pid_idx is not None:
            h = h + self.pid_embed(self.categorical(raw[self.stream], self.pid_idx, self.num_pid))
        pt, eta, phi, e = self.kinematics(raw[self.stream], self.kin_idx, self.kin.angular_scale)
        h = self.add_local(h, eta, phi, mask)
        cls = self.cls.expand(h.shape[0], -1, -1)
        if self.cond is not None:
            c = self.cond(normed[self.global_object]).unsqueeze(1)
            h, cls = h + c, cls + c
        bias = self.pair(pair_features(pt, eta, phi, e)[..., PAIR_IDX]).permute(0, 3, 1, 2)  # (B, H, N, N)
        bias = nn.functional.pad(bias, (1, 0, 1, 0))  # class token: no pairwise bias
        h = prepend(h, cls)
        full_mask = torch.cat([torch.zeros_like(cls[..., 0], dtype=torch.bool), mask], dim=1)  # N may be 0
        attn = additive_mask(full_mask, bias)
        for block in self.blocks:
            h = block(h, attn)
        return self.norm(h[:, 0])

    def add_local(self, h: Tensor, eta: Tensor, phi: Tensor, mask: Tensor) -> Tensor:
        """Add local edge features: the mean over the ``k`` nearest neighbours of ``MLP([h_i, h_j - h_i])``.

        Shape-generic (no Python ints or branches on ``N``), so the exported graph serves every ``N >= 0``.

        Parameters
        ----------
        h
            Tokens ``(B, N, D)``.
        eta, phi
            Neighbourhood coordinates ``(B, N)``.
        mask
            Pad mask ``(B, N)``.

        Returns
        -------
        Tensor
            ``(B, N, D)``; ``h`` unchanged when ``N <= 1`` (no other constituent).
        """
        idx = knn_indices(eta, phi, mask, self.k)  # (B, N, min(k, N))
        d = h.shape[-1]
        neigh = torch.gather(
            h.unsqueeze(1).expand(-1, h.shape[1], -1, -1), 2, idx.unsqueeze(-1).expand(-1, -1, -1, d)
        )
        hi = h.unsqueeze(2).expand_as(neigh)
        local = h + self.local(torch.cat([hi, neigh - hi], dim=-1)).mean(2)
        several = torch.ones_like(eta).sum(1).gt(1.0)[:, None, None]  # (B, 1, 1): N > 1, as a tensor
        return torch.where(several, local, h)
