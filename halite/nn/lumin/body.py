"""Bodies: the blocks between head and tail (lumin 0.9.1's ``lumin.nn.models.blocks.body``).

A body reads the head output ``(B, n_in)``; ``feat_map`` names which head outputs belong to which
input feature (``{feature: [column, ...]}``, as ``AbsHead.feat_map``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import AbsBlock, LookupInit
from halite.nn.lumin.activations import lookup_act as default_lookup_act
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["AbsBody", "FullyConnected", "IdentBody", "MultiBlock"]

FeatMap = dict[str, list[int]]


class AbsBody(AbsBlock):
    """Base of the bodies: input width, feature map, activation lookup and batch-norm class.

    Parameters
    ----------
    n_in
        Width of the block input.
    feat_map
        Input feature name -> the input columns that carry it.
    lookup_init
        ``(act, fan_in, fan_out) -> init function`` for the weights.
    lookup_act
        ``act -> activation layer``.
    freeze
        Start with every parameter untrainable.
    bn_class
        Batch-norm layer class, called with the width (default ``nn.BatchNorm1d``).
    """

    def __init__(
        self,
        n_in: int,
        feat_map: FeatMap,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
    ) -> None:
        super().__init__(lookup_init=lookup_init, freeze=freeze)
        self.n_in, self.feat_map, self.lookup_act, self.bn_class = n_in, feat_map, lookup_act, bn_class


class IdentBody(AbsBody):
    """A body that passes its input through: ``(B, n_in) -> (B, n_in)``."""

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x``."""
        return x

    def get_out_size(self) -> int:
        """``n_in``."""
        return self.n_in


class FullyConnected(AbsBody):
    """Stack of dense layers ``(B, n_in) -> (B, get_out_size())``, each Linear -> activation -> BN -> dropout.

    * plain: ``depth`` layers; layer ``d`` has ``width + int(width * d * growth_rate)`` outputs (at least 1).
    * ``res=True``: ``1 + depth // 2`` blocks of width ``width`` (so an even depth gains a layer): the first
      is one layer from ``n_in``, every further block is two layers (BN, when ``bn``, only after the first)
      whose output is added to the block input, and the sum passes a ``bn_class(width)`` layer (``res_bns``,
      present also when ``bn=False``, as in lumin). ``growth_rate`` is ignored.
    * ``dense=True``: every layer but the last reads the concatenation ``[layer output, layer input]``
      (newest first); layer ``d`` has ``max(1, width + int(width * d * growth_rate))`` outputs.

    selu layers use ``nn.AlphaDropout``, the others ``nn.Dropout``; ``act='linear'`` adds no activation.
    Weights are initialised by ``lookup_init(act, fan_in, fan_out)``, biases with zeros.

    lumin 0.9.1 builds the residual stack when both ``res`` and ``dense`` are set (``dense`` is silently
    ignored); here that raises ``ValueError`` (the documentation calls them mutually exclusive).

    Parameters
    ----------
    n_in
        Width of the input.
    feat_map
        Input feature name -> input columns (kept, not used by this block).
    depth
        Number of hidden layers (see ``res``).
    width
        Base width of the layers.
    do
        Dropout rate after every layer (0 or None: no dropout).
    bn
        Batch normalisation after the activation.
    act
        Activation name for ``lookup_act`` and ``lookup_init``.
    res
        Residual blocks of two layers.
    dense
        Concatenate each layer's input to its output.
    growth_rate
        Relative width change per layer (may be negative); ignored when ``res``.
    lookup_init, lookup_act, freeze, bn_class
        As for ``AbsBody``.
    """

    layers: nn.Sequential | nn.ModuleList

    def __init__(
        self,
        n_in: int,
        feat_map: FeatMap,
        depth: int,
        width: int,
        do: float = 0,
        bn: bool = False,
        act: str = "relu",
        res: bool = False,
        dense: bool = False,
        growth_rate: float = 0,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
    ) -> None:
        super().__init__(n_in, feat_map, lookup_init, lookup_act, freeze, bn_class)
        if res and dense:
            msg = (
                "FullyConnected: res=True and dense=True are mutually exclusive (lumin 0.9.1 silently builds "
                "the residual stack); set only one of them."
            )
            raise ValueError(msg)
        self.depth, self.width, self.do, self.bn, self.act = depth, width, do, bn, act
        self.res, self.dense, self.growth_rate = res, dense, growth_rate
        if self.res:
            self.depth = 1 + self.depth // 2
            self.res_bns = nn.ModuleList([self.bn_class(self.width) for _ in range(self.depth - 1)])
            self.layers = nn.ModuleList(
                [
                    self._get_layer(d, self.n_in if d == 0 else self.width, self.width)
                    for d in range(self.depth)
                ]
            )
        elif self.dense:
            dense_layers: list[nn.Module] = []
            fan_in = self.n_in
            for d in range(self.depth):
                fan_out = max(1, self.width + int(self.width * d * self.growth_rate))
                dense_layers.append(self._get_layer(d, fan_in, fan_out))
                fan_in += max(1, fan_out)
            self.layers = nn.ModuleList(dense_layers)
        else:
            self.layers = nn.Sequential(
                *[
                    self._get_layer(
                        d,
                        self.n_in if d == 0 else self._grown(d - 1),
                        self.width if d == 0 else self._grown(d),
                    )
                    for d in range(self.depth)
                ]
            )
        if self.freeze:
            self.freeze_layers()

    def _grown(self, d: int) -> int:
        return self.width + int(self.width * d * self.growth_rate)

    def _get_layer(self, idx: int, fan_in: int | None = None, fan_out: int | None = None) -> nn.Sequential:
        """Layer ``idx``: Linear -> act -> BN -> dropout (twice, BN only once, in a residual block)."""
        fan_in = max(1, self.width if fan_in is None else int(fan_in))
        fan_out = max(1, self.width if fan_out is None else int(fan_out))
        layers: list[Any] = []
        for i in range(2 if self.res and idx > 0 else 1):
            linear = nn.Linear(fan_in, fan_out)
            self.lookup_init(self.act, fan_in, fan_out)(linear.weight)
            nn.init.zeros_(linear.bias)
            layers.append(linear)
            if self.act != "linear":
                layers.append(self.lookup_act(self.act))
            if self.bn and i == 0:
                layers.append(self.bn_class(fan_out))
            if self.do:
                layers.append(nn.AlphaDropout(self.do) if self.act == "selu" else nn.Dropout(self.do))
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, n_in) -> (B, get_out_size())``."""
        if self.dense:
            layers = list(self.layers)
            for layer in layers[:-1]:
                x = torch.cat((layer(x), x), -1)
            return layers[-1](x)  # type: ignore[no-any-return]
        if self.res:
            for i, layer in enumerate(self.layers):
                x = layer(x) if i == 0 else self.res_bns[i - 1](layer(x) + x)
            return x
        return self.layers(x)  # type: ignore[no-any-return]

    def get_out_size(self) -> int:
        """Width of the last layer."""
        return int(self.layers[-1][0].out_features)  # type: ignore[index]


class MultiBlock(AbsBody):
    """Bodies side by side, each on its own input features; the output concatenates theirs.

    Block ``i`` reads the input columns of the features in ``feats_per_block[i]`` (in ``feat_map`` order),
    plus, with a bottleneck, the ``bottleneck_sz`` outputs of a Linear (then ``bottleneck_act``, when set)
    over the columns of all the other features. ``(B, n_in) -> (B, sum of the blocks' out sizes)``.

    lumin 0.9.1's documentation (and its examples) give ``bottleneck=True`` for one bottleneck neuron, but
    its code only takes ``bottleneck_sz`` and raises ``TypeError`` on ``bottleneck``; here both are accepted
    (``bottleneck=True`` means ``bottleneck_sz=1`` unless ``bottleneck_sz`` is set). lumin 0.9.1 leaves the
    bottleneck layers trainable with ``freeze=True``; here every parameter is frozen. Feature names in
    ``feats_per_block`` missing from ``feat_map`` are skipped, as in lumin, with a warning.

    Parameters
    ----------
    n_in
        Width of the input.
    feat_map
        Input feature name -> input columns.
    blocks
        Body classes or partials (e.g. ``partial(FullyConnected, depth=2, width=50)``); each is called with
        ``n_in``, ``feat_map``, ``lookup_init``, ``lookup_act`` and ``freeze``.
    feats_per_block
        Feature names for each block.
    bottleneck_sz
        Bottleneck width per block (0: no bottleneck).
    bottleneck_act
        Activation after the bottleneck Linear (None: linear).
    lookup_init, lookup_act, freeze
        As for ``AbsBody`` (passed on to the blocks).
    bottleneck
        lumin's documented switch: True for a bottleneck of one neuron.
    """

    def __init__(
        self,
        n_in: int,
        feat_map: FeatMap,
        blocks: Sequence[Callable[[int, dict[str, list[int]]], AbsBody]],
        feats_per_block: Sequence[Sequence[str]],
        bottleneck_sz: int = 0,
        bottleneck_act: str | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bottleneck: bool | None = None,
    ) -> None:
        super().__init__(n_in, feat_map, lookup_init, lookup_act, freeze)
        if len(blocks) != len(feats_per_block) or not blocks:
            msg = (
                f"MultiBlock: {len(blocks)} blocks but {len(feats_per_block)} feature lists; give one list of "
                "feature names per block (and at least one block)."
            )
            raise ValueError(msg)
        if bottleneck is not None:
            if not bottleneck and bottleneck_sz > 0:
                msg = f"MultiBlock: bottleneck=False contradicts bottleneck_sz={bottleneck_sz}; set only one."
                raise ValueError(msg)
            if bottleneck and bottleneck_sz <= 0:
                bottleneck_sz = 1
        unknown = sorted({f for fpb in feats_per_block for f in fpb if f not in feat_map})
        if unknown:
            warnings.warn(
                f"MultiBlock: features {unknown} of feats_per_block are not in feat_map (known: "
                f"{list(feat_map)}); they are skipped.",
                stacklevel=2,
            )
        self.feats_per_block, self.bottleneck_sz, self.bottleneck_act = (
            feats_per_block,
            bottleneck_sz,
            bottleneck_act,
        )
        self.n_out = 0
        self.masks: list[list[int]] = []
        self.bottleneck_masks: list[list[int]] = []
        self.bottleneck_blocks: nn.ModuleList | None = None
        if self.bottleneck_sz > 0:
            for fpb in self.feats_per_block:
                self.bottleneck_masks.append(
                    [c for f, cols in self.feat_map.items() if f not in fpb for c in cols]
                )
            self.bottleneck_blocks = nn.ModuleList([self._get_bottleneck(m) for m in self.bottleneck_masks])
        built: list[AbsBody] = []
        for make, fpb in zip(blocks, self.feats_per_block):
            sub_map = {f: cols for f, cols in self.feat_map.items() if f in fpb}
            self.masks.append([c for cols in sub_map.values() for c in cols])
            block = make(  # type: ignore[call-arg]
                n_in=len(self.masks[-1]) + self.bottleneck_sz,
                feat_map=sub_map,
                lookup_init=self.lookup_init,
                lookup_act=self.lookup_act,
                freeze=self.freeze,
            )
            self.n_out += block.get_out_size()
            built.append(block)
        self.blocks = nn.ModuleList(built)
        if self.freeze:
            self.freeze_layers()

    def _get_bottleneck(self, mask: list[int]) -> nn.Sequential:
        """Linear ``len(mask) -> bottleneck_sz`` (then ``bottleneck_act``)."""
        linear = nn.Linear(len(mask), self.bottleneck_sz)
        layers: list[Any] = [linear]
        act = "linear" if self.bottleneck_act is None else self.bottleneck_act
        if self.bottleneck_act is not None:
            layers.append(self.lookup_act(self.bottleneck_act))
        self.lookup_init(act, len(mask), self.bottleneck_sz)(linear.weight)
        nn.init.zeros_(linear.bias)
        return nn.Sequential(*layers)

    def get_out_size(self) -> int:
        """Sum of the blocks' output widths."""
        return self.n_out

    def forward(self, x: Tensor) -> Tensor:
        """``(B, n_in) -> (B, get_out_size())``."""
        outs = []
        for i, block in enumerate(self.blocks):
            sub = x[:, self.masks[i]]
            if self.bottleneck_blocks is not None:
                sub = torch.cat((sub, self.bottleneck_blocks[i](x[:, self.bottleneck_masks[i]])), -1)
            outs.append(block(sub))
        return torch.cat(outs, -1)
