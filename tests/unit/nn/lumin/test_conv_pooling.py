"""AdaptiveAvgMaxConcatPool and SEBlock against lumin 0.9.1's numbers (tests/unit/nn/lumin/pinned_conv.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from halite.nn.lumin import (
    AdaptiveAvgMaxConcatPool1d,
    AdaptiveAvgMaxConcatPool2d,
    AdaptiveAvgMaxConcatPool3d,
    SEBlock1d,
    SEBlock2d,
    SEBlock3d,
)
from tests.unit.nn.lumin.pinned_conv import check_pinned
from tests.unit.nn.lumin.weights import fixed_input

EXAMPLES = {
    "pool1d": lambda: AdaptiveAvgMaxConcatPool1d(),
    "pool2d": lambda: AdaptiveAvgMaxConcatPool2d(2),
    "se1d": lambda: SEBlock1d(n_in=8, r=2),
    "se2d": lambda: SEBlock2d(n_in=8, r=4, act="swish"),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_matches_lumin(name: str) -> None:
    check_pinned(name, EXAMPLES[name]())


def test_concat_pool_is_max_then_mean() -> None:
    x = fixed_input(2, 3, 8)
    y = AdaptiveAvgMaxConcatPool1d()(x)
    assert torch.equal(y[:, :3, 0], x.amax(-1)) and torch.allclose(y[:, 3:, 0], x.mean(-1))
    assert AdaptiveAvgMaxConcatPool3d()(fixed_input(2, 3, 2, 2, 2)).shape == (2, 6, 1, 1, 1)
    assert AdaptiveAvgMaxConcatPool2d()(fixed_input(2, 3, 4, 4)).shape == (2, 6, 1, 1)


def test_se_block_layout_and_rescaling() -> None:
    se = SEBlock1d(n_in=8, r=16)  # hidden width max(2, 8 // 16) = 2
    assert se.layers[0].weight.shape == (2, 8) and isinstance(se.layers[3], nn.Sigmoid)
    x = fixed_input(2, 8, 5)
    w = se.layers(x.mean(-1))
    assert torch.allclose(se(x), x * w[:, :, None])
    assert SEBlock3d(n_in=4, r=2)(fixed_input(1, 4, 2, 2, 2)).shape == (1, 4, 2, 2, 2)


@pytest.mark.parametrize("act", ["linear", "selu"])
def test_se_block_acts_that_crash_in_lumin(act: str) -> None:
    """lumin 0.9.1: 'linear' puts a function into nn.Sequential, 'selu' gets no fan-in; both crash there."""
    se = SEBlock1d(n_in=8, r=2, act=act)
    assert list(se.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert se(fixed_input(2, 8, 3)).shape == (2, 8, 3)
