"""lumin 0.9.1's channel pooling and squeeze-excitation layers (``lumin.nn.models.blocks.conv_blocks``, second half).

``AdaptiveAvgMaxConcatPool{1,2,3}d`` pool every channel to a fixed size by max and by mean and concatenate
the two along the channels; ``SEBlock{1,2,3}d`` rescale channels by learned weights (arXiv:1709.01507).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import LookupInit
from halite.nn.lumin.activations import lookup_act as default_lookup_act
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = [
    "AdaptiveAvgMaxConcatPool1d",
    "AdaptiveAvgMaxConcatPool2d",
    "AdaptiveAvgMaxConcatPool3d",
    "SEBlock1d",
    "SEBlock2d",
    "SEBlock3d",
]


class AdaptiveAvgMaxConcatPool1d(nn.Module):
    """Adaptive max pooling and adaptive average pooling, concatenated along the channels (max first).

    Parameters
    ----------
    sz
        Output size of each pooling (None: 1, i.e. ``(B, C, L) -> (B, 2C, 1)``).
    """

    def __init__(self, sz: int | tuple[int, ...] | None = None) -> None:
        super().__init__()
        self._setup(sz)

    def _setup(self, sz: Any = None) -> None:
        sz = 1 if sz is None else sz
        self.ap: nn.Module = nn.AdaptiveAvgPool1d(sz)
        self.mp: nn.Module = nn.AdaptiveMaxPool1d(sz)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C, *spatial) -> (B, 2C, *sz)``: the max-pooled channels, then the mean-pooled ones."""
        return torch.cat([self.mp(x), self.ap(x)], 1)


class AdaptiveAvgMaxConcatPool2d(AdaptiveAvgMaxConcatPool1d):
    """``AdaptiveAvgMaxConcatPool1d`` over ``(B, C, H, W)`` (None: ``sz = (1, 1)``)."""

    def _setup(self, sz: Any = None) -> None:
        sz = (1, 1) if sz is None else sz
        self.ap = nn.AdaptiveAvgPool2d(sz)
        self.mp = nn.AdaptiveMaxPool2d(sz)


class AdaptiveAvgMaxConcatPool3d(AdaptiveAvgMaxConcatPool1d):
    """``AdaptiveAvgMaxConcatPool1d`` over ``(B, C, D, H, W)`` (None: ``sz = (1, 1, 1)``)."""

    def _setup(self, sz: Any = None) -> None:
        sz = (1, 1, 1) if sz is None else sz
        self.ap = nn.AdaptiveAvgPool3d(sz)
        self.mp = nn.AdaptiveMaxPool3d(sz)


class SEBlock1d(nn.Module):
    """Squeeze-excitation (arXiv:1709.01507): channels times weights learned from their means.

    The per-channel means ``(B, n_in)`` pass through ``Linear(n_in, c) -> act -> Linear(c, n_in) -> sigmoid``
    with ``c = max(2, n_in // r)``; the input is multiplied by the result, channel by channel. The first
    weight is initialised for ``act``, the second for ``sigmoid``; biases are zero.

    lumin 0.9.1 calls ``lookup_init(act)`` without the fan-in (``act='selu'`` crashes) and puts
    ``lookup_act('linear')``, a function, into ``nn.Sequential`` (``act='linear'`` crashes); here the fans are
    passed and ``'linear'`` is an ``nn.Identity`` (same state-dict layout).

    Parameters
    ----------
    n_in
        Channels of the input.
    r
        Reduction ratio of the hidden layer.
    act, lookup_init, lookup_act
        Hidden activation, ``(act, fan_in, fan_out) -> init`` and ``name -> activation``.
    """

    def __init__(
        self,
        n_in: int,
        r: int,
        act: str = "relu",
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
    ) -> None:
        super().__init__()
        self.n_in, self.r, self.act, self.lookup_init, self.lookup_act = n_in, r, act, lookup_init, lookup_act
        self.layers = self._get_layers()
        self._set_pooling()

    def _set_pooling(self) -> None:
        self.sz = [1]
        self.pool: nn.Module = nn.AdaptiveAvgPool1d(self.sz)  # type: ignore[arg-type]

    def _get_layers(self) -> nn.Sequential:
        c = max(2, self.n_in // self.r)
        act = nn.Identity() if self.act == "linear" else self.lookup_act(self.act)
        first, second = nn.Linear(self.n_in, c), nn.Linear(c, self.n_in)
        self.lookup_init(self.act, self.n_in, c)(first.weight)
        self.lookup_init("sigmoid", c, self.n_in)(second.weight)
        nn.init.zeros_(first.bias)
        nn.init.zeros_(second.bias)
        layers = [first, act, second, nn.Sigmoid()]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, n_in, *spatial) -> (B, n_in, *spatial)``."""
        y = self.pool(x).view(-1, self.n_in)
        y = self.layers(y).view(-1, self.n_in, *self.sz)
        return x * y


class SEBlock2d(SEBlock1d):
    """``SEBlock1d`` over ``(B, n_in, H, W)``."""

    def _set_pooling(self) -> None:
        self.sz = [1, 1]
        self.pool = nn.AdaptiveAvgPool2d(self.sz)  # type: ignore[arg-type]


class SEBlock3d(SEBlock1d):
    """``SEBlock1d`` over ``(B, n_in, D, H, W)``."""

    def _set_pooling(self) -> None:
        self.sz = [1, 1, 1]
        self.pool = nn.AdaptiveAvgPool3d(self.sz)  # type: ignore[arg-type]
