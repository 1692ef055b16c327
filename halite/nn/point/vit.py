"""PointGlobalMixedViT: a ViT over points with 2D positional encodings and an event token."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.nn.layers.posenc import FourierPositionalEncoding
from halite.nn.layers.prenorm import PreNormBlock, additive_mask
from halite.nn.point.base import PointBackbone, column, prepend
from halite.typing import Masks, Tensors


class PointGlobalMixedViT(PointBackbone):
    """Transformer over per-point tokens, a CLS token and an optional event token.

    Points carry continuous features, an optional categorical PID embedding and a
    Fourier positional encoding of their 2D coordinates (Dosovitskiy et al.,
    arXiv:2010.11929). The event token carries the global features. Blocks are pre-norm:
    ``X' = X + MHSA(LN(X)); Y = X' + MLP(LN(X'))``; the CLS output is the readout.

    Parameters
    ----------
    stream
        The point stream (e.g. ``hits``).
    coords
        Two coordinate variables of the stream.
    pid
        Categorical PID variable (embedded, excluded from the continuous features).
    num_pid
        Number of PID categories.
    use_global
        Add an event token built from the global object's features.
    d_model, depth, n_heads, mlp_ratio, dropout, attn_dropout
        Transformer sizes.
    num_frequencies
        Fourier frequencies per coordinate.
    """

    def __init__(
        self,
        stream: str = "hits",
        coords: list[str] | None = None,
        pid: str | None = "pid",
        num_pid: int = 8,
        use_global: bool = True,
        d_model: int = 128,
        depth: int = 4,
        n_heads: int = 8,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        attn_dropout: float = 0.0,
        num_frequencies: int = 16,
    ) -> None:
        super().__init__()
        self.stream = stream
        self.coords = coords or ["x", "z"]
        if len(self.coords) != 2:
            msg = f"PointGlobalMixedViT needs exactly two coordinate variables, got {self.coords}."
            raise ValueError(msg)
        self.pid, self.num_pid, self.use_global = pid, num_pid, use_global
        self.d_model = d_model
        self.out_features = d_model
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model))
        nn.init.trunc_normal_(self.cls, std=0.02)
        self.posenc = FourierPositionalEncoding(2, d_model, num_frequencies)
        self.blocks = nn.ModuleList(
            [PreNormBlock.point(d_model, n_heads, mlp_ratio, dropout, attn_dropout) for _ in range(depth)]
        )
        self.norm = nn.LayerNorm(d_model)

    def build_points(self, variables: dict[str, list[str]], global_object: str) -> None:
        what = "PointGlobalMixedViT"
        names = variables.get(self.stream, [])
        self.coord_idx = [column(variables, self.stream, c, what) for c in self.coords]
        self.pid_idx = column(variables, self.stream, self.pid, what) if self.pid else None
        self.cont_idx = [i for i, _ in enumerate(names) if i != self.pid_idx]
        self.point_proj = nn.Linear(len(self.cont_idx), self.d_model)
        self.pid_embed = nn.Embedding(self.num_pid, self.d_model) if self.pid else None
        self.global_object = global_object
        n_glob = len(variables.get(global_object, []))
        self.event_proj = nn.Linear(n_glob, self.d_model) if self.use_global and n_glob else None
        self.input_streams = [global_object, self.stream] if self.event_proj is not None else [self.stream]

    def encode(self, normed: Tensors, raw: Tensors, pad_masks: Masks) -> Tensor:
        x, mask = normed[self.stream], pad_masks[self.stream]
        h = self.point_proj(x[..., self.cont_idx]) + self.posenc(x[..., self.coord_idx])
        if self.pid_embed is not None and self.pid_idx is not None:
            h = h + self.pid_embed(self.categorical(raw[self.stream], self.pid_idx, self.num_pid))
        b = x.shape[0]
        extra = [self.cls.expand(b, -1, -1)]
        if self.event_proj is not None:
            extra.append(self.event_proj(normed[self.global_object]).unsqueeze(1))
        h = prepend(h, *extra)
        mask = torch.cat([torch.zeros(b, len(extra), dtype=torch.bool, device=x.device), mask], dim=1)
        attn = additive_mask(mask)
        for block in self.blocks:
            h = block(h, attn)
        return self.norm(h[:, 0])
