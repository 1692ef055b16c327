"""``LCBatchNorm1d``: batch norm over the channels of ``(B, length, channels)``."""

from __future__ import annotations

import torch
from torch import nn

from halite.nn.lumin import LCBatchNorm1d
from tests.unit.nn.lumin.weights import fixed_input, set_weights


def test_normalises_the_last_axis_like_batchnorm_on_the_transpose() -> None:
    x = fixed_input(3, 5, 4) * 3 + 1
    lc = LCBatchNorm1d(nn.BatchNorm1d(4))
    set_weights(lc)
    ref = nn.BatchNorm1d(4)
    ref.load_state_dict(lc.bn.state_dict())
    assert list(lc.state_dict()) == [f"bn.{k}" for k in ref.state_dict()]
    for train in (True, False):
        lc.train(train)
        ref.train(train)
        out = lc(x)
        assert out.shape == (3, 5, 4)
        torch.testing.assert_close(out, ref(x.transpose(1, 2)).transpose(1, 2))
    out = LCBatchNorm1d(nn.BatchNorm1d(4)).train()(x)  # weight 1, bias 0: standardised channels
    torch.testing.assert_close(out.mean((0, 1)), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.var((0, 1), unbiased=False), torch.ones(4), atol=1e-3, rtol=0)
