"""Bodies: deep dense networks (plain, residual, densely connected) and feature-split multi-blocks."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from halite.nn.layers.activations import Activation
from halite.nn.layers.dense import mlp
from halite.nn.lumin_legacy.base import BodyBase


def dense_layer(n_in: int, n_out: int, act: str, bn: bool = False, do: float = 0.0) -> nn.Sequential:
    """``Linear -> activation -> [BatchNorm] -> [Dropout]`` (AlphaDropout for selu), lumin-initialised."""
    return mlp(
        [n_in, n_out],
        act,
        act_last=True,
        norm="BatchNorm1d" if bn else None,
        norm_at="activation",
        dropout=do,
        init=True,
        alpha_dropout=True,
    )


def stacked_mlp(n_in: int, depth: int, width: int, n_out: int, act: str) -> nn.Sequential:
    """``depth`` dense layers ``n_in -> width -> ... -> n_out``, each followed by ``act`` (one group each).

    Works on any leading shape ``(..., n_in)`` (no batch norm).
    """
    if depth < 1:
        msg = f"An MLP needs depth >= 1, got {depth}."
        raise ValueError(msg)
    sizes = [n_in] + [width] * (depth - 1) + [n_out]
    return mlp(sizes, act, act_last=True, init=True, grouped=True)


class FullyConnected(BodyBase):
    """Deep dense body (lumin's ``FullyConnected``).

    Each layer is ``dense > activation > BN > dropout``. Widths grow as
    ``width + width * d * growth_rate`` for layer ``d`` (negative rates shrink,
    at least 1 unit). With ``res`` every two layers after the first form a block
    with a skip connection (He et al., arXiv:1512.03385), so an even ``depth`` is
    bumped by one and BN (if ``bn``) follows the addition; with ``dense`` each layer
    sees the concatenation of the input and all previous layer outputs (Huang et
    al., arXiv:1608.06993).

    Parameters
    ----------
    n_in
        Input width; left out in YAML, the model builds the body from its head.
    depth
        Number of dense layers.
    width
        Units of the first layer.
    do
        Dropout probability.
    bn
        Batch normalisation.
    act
        Activation (``make_activation`` name).
    res
        Residual skip connections (fixed width; ``growth_rate`` not allowed).
    dense
        Dense connections.
    growth_rate
        Relative width change per layer.
    freeze
        Build with frozen parameters.
    """

    def __init__(
        self,
        depth: int,
        width: int,
        n_in: int | None = None,
        do: float = 0.0,
        bn: bool = False,
        act: Activation = "relu",
        res: bool = False,
        dense: bool = False,
        growth_rate: float = 0.0,
        freeze: bool = False,
    ) -> None:
        super().__init__(freeze)
        if res and dense:
            msg = "FullyConnected: `res` and `dense` are mutually exclusive; set one of them to false."
            raise ValueError(msg)
        if res and growth_rate != 0:
            msg = "FullyConnected: residual blocks need a fixed width; set growth_rate: 0 with res: true."
            raise ValueError(msg)
        if depth < 1 or width < 1:
            msg = f"FullyConnected needs depth >= 1 and width >= 1, got depth={depth}, width={width}."
            raise ValueError(msg)
        self.depth, self.width, self.do, self.bn, self.act = depth, width, do, bn, act
        self.res, self.dense, self.growth_rate = res, dense, growth_rate
        self.layers = nn.ModuleList()
        self.res_bns = nn.ModuleList()
        if n_in is not None:
            self.build(n_in)

    def layer_width(self, d: int) -> int:
        """Units of dense layer ``d``."""
        return max(1, self.width + int(self.width * d * self.growth_rate))

    def build(self, n_in: int, feat_map: Mapping[str, list[int]] | None = None) -> None:
        if self.built:
            if n_in != self.n_in:
                msg = f"FullyConnected was built for n_in={self.n_in} but its input has {n_in} features; drop n_in."
                raise ValueError(msg)
            return
        self.n_in = n_in
        if self.res:
            n_blocks = self.depth // 2  # residual blocks of two layers after the first layer
            self.layers.append(dense_layer(n_in, self.width, self.act, self.bn, self.do))
            for _ in range(n_blocks):
                block = nn.Sequential(
                    dense_layer(self.width, self.width, self.act, self.bn, self.do),
                    dense_layer(self.width, self.width, self.act, False, self.do),
                )
                self.layers.append(block)
                self.res_bns.append(nn.BatchNorm1d(self.width) if self.bn else nn.Identity())
            out = self.width
        else:
            fan_in = n_in
            for d in range(self.depth):
                out = self.layer_width(d)
                self.layers.append(dense_layer(fan_in, out, self.act, self.bn, self.do))
                fan_in = fan_in + out if self.dense else out
        self._finish_build(out)

    def n_linear(self) -> int:
        """Number of ``Linear`` layers."""
        return sum(isinstance(m, nn.Linear) for m in self.modules())

    def forward(self, x: Tensor) -> Tensor:
        """``(B, n_in)`` -> ``(B, out_features)``."""
        if self.res:
            x = self.layers[0](x)
            for block, bn in zip(self.layers[1:], self.res_bns):
                x = bn(block(x) + x)
            return x
        if self.dense:
            for layer in self.layers[:-1]:
                x = torch.cat([layer(x), x], dim=-1)
            return self.layers[-1](x)  # type: ignore[no-any-return]
        for layer in self.layers:
            x = layer(x)
        return x


class MultiBlock(BodyBase):
    """Several bodies side by side, each on its own subset of the head's features.

    The outputs are concatenated. With ``bottleneck_sz > 0`` each block also gets
    ``bottleneck_sz`` neurons computed from the features it does not see (a learned
    summary of the rest, lumin's ``MultiBlock``).

    Parameters
    ----------
    blocks
        The bodies (built here with their input widths).
    feats_per_block
        Names (keys of the head's ``feat_map``: input features, categorical features
        or a matrix head's stream) given to each block.
    bottleneck_sz
        Bottleneck neurons per block (0 = none).
    bottleneck_act
        Activation after the bottleneck (``None`` = linear).
    """

    def __init__(
        self,
        blocks: list[BodyBase],
        feats_per_block: list[list[str]],
        bottleneck_sz: int = 0,
        bottleneck_act: Activation | None = None,
        freeze: bool = False,
    ) -> None:
        super().__init__(freeze)
        if len(blocks) != len(feats_per_block) or not blocks:
            msg = (
                f"MultiBlock needs one feature list per block: got {len(blocks)} blocks and "
                f"{len(feats_per_block)} feature lists."
            )
            raise ValueError(msg)
        self.blocks = nn.ModuleList(blocks)
        self.feats_per_block = [list(f) for f in feats_per_block]
        self.bottleneck_sz = bottleneck_sz
        self.bottleneck_act = bottleneck_act
        self.bottlenecks = nn.ModuleList()

    def build(self, n_in: int, feat_map: Mapping[str, list[int]] | None = None) -> None:
        if not feat_map:
            msg = "MultiBlock needs the head's feat_map to split features; use it after a halite head."
            raise ValueError(msg)
        self.n_in = n_in
        total = 0
        for i, (block, names) in enumerate(zip(self.blocks, self.feats_per_block)):
            unknown = [n for n in names if n not in feat_map]
            if unknown:
                msg = f"MultiBlock block {i}: unknown features {unknown}; the head provides {list(feat_map)}."
                raise ValueError(msg)
            idx = sorted({j for n in names for j in feat_map[n]})
            rest = [j for j in range(n_in) if j not in set(idx)]
            self.register_buffer(f"idx_{i}", torch.tensor(idx, dtype=torch.long))
            self.register_buffer(f"rest_{i}", torch.tensor(rest, dtype=torch.long))
            n_block = len(idx)
            if self.bottleneck_sz > 0 and rest:
                act = self.bottleneck_act or "linear"
                self.bottlenecks.append(dense_layer(len(rest), self.bottleneck_sz, act))
                n_block += self.bottleneck_sz
            else:
                self.bottlenecks.append(nn.Identity())
            assert isinstance(block, BodyBase)
            block.build(n_block)
            total += block.get_out_size()
        self._finish_build(total)

    def block_inputs(self, x: Tensor) -> list[Tensor]:
        """The input ``(B, n_block)`` of each block (own features, then bottleneck)."""
        out = []
        for i, neck in enumerate(self.bottlenecks):
            own = x.index_select(-1, getattr(self, f"idx_{i}"))
            if not isinstance(neck, nn.Identity):
                own = torch.cat([own, neck(x.index_select(-1, getattr(self, f"rest_{i}")))], dim=-1)
            out.append(own)
        return out

    def forward(self, x: Tensor) -> Tensor:
        """``(B, n_in)`` -> ``(B, sum of block outputs)``."""
        return torch.cat([b(xi) for b, xi in zip(self.blocks, self.block_inputs(x))], dim=-1)
