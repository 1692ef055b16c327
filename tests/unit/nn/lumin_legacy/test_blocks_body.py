"""lumin-style bodies: layer counts and widths, skip/dense wiring, bottlenecks, freezing."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from halite.nn.layers.activations import lookup_init, make_activation
from halite.nn.lumin_legacy.body import FullyConnected, MultiBlock


def linear_shapes(module: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def test_plain_depth_and_widths() -> None:
    fc = FullyConnected(depth=3, width=16, n_in=5)
    assert linear_shapes(fc) == [(5, 16), (16, 16), (16, 16)]
    assert fc.get_out_size() == 16
    assert fc(torch.randn(4, 5)).shape == (4, 16)


@pytest.mark.parametrize(("rate", "widths"), [(0.5, [8, 12, 16, 20]), (-0.25, [8, 6, 4, 2])])
def test_growth_rate_widths(rate: float, widths: list[int]) -> None:
    fc = FullyConnected(depth=4, width=8, n_in=3, growth_rate=rate)
    assert [o for _, o in linear_shapes(fc)] == widths
    assert fc.get_out_size() == 8 + int(8 * 3 * rate)


@pytest.mark.parametrize(("depth", "n_linear"), [(2, 3), (3, 3), (4, 5), (5, 5)])
def test_res_bumps_even_depth(depth: int, n_linear: int) -> None:
    fc = FullyConnected(depth=depth, width=8, n_in=3, res=True, bn=True)
    assert fc.n_linear() == n_linear
    assert fc(torch.randn(6, 3)).shape == (6, 8)


def test_res_adds_skip_and_normalises_after_addition() -> None:
    fc = FullyConnected(depth=3, width=4, n_in=4, res=True, bn=True).eval()
    block = fc.layers[1]
    # zero the block so the residual branch contributes nothing: output = BN(first layer output)
    for p in block.parameters():
        nn.init.zeros_(p)
    x = torch.randn(5, 4)
    first = fc.layers[0](x)
    torch.testing.assert_close(fc(x), fc.res_bns[0](first))
    # order inside a layer: dense > activation > BN > dropout
    kinds = [type(m).__name__ for m in FullyConnected(1, 4, n_in=2, bn=True, do=0.1).layers[0]]
    assert kinds == ["Linear", "ReLU", "BatchNorm1d", "Dropout"]


def test_dense_concatenates_layer_outputs() -> None:
    fc = FullyConnected(depth=3, width=4, n_in=2, dense=True, growth_rate=1.0)
    assert linear_shapes(fc) == [(2, 4), (6, 8), (14, 12)]
    assert fc(torch.randn(3, 2)).shape == (3, 12)


def test_res_and_dense_exclusive() -> None:
    with pytest.raises(ValueError, match="mutually exclusive"):
        FullyConnected(depth=2, width=4, res=True, dense=True)


def test_selu_uses_alpha_dropout_and_lecun_init() -> None:
    fc = FullyConnected(depth=1, width=2000, n_in=500, act="selu", do=0.1)
    assert any(isinstance(m, nn.AlphaDropout) for m in fc.modules())
    std = fc.layers[0][0].weight.std().item()
    assert abs(std - 500**-0.5) < 0.1 * 500**-0.5


def test_lookups() -> None:
    assert isinstance(make_activation("swish"), nn.SiLU)
    assert isinstance(make_activation("PReLU"), nn.PReLU)
    with pytest.raises(ValueError, match="Unknown activation 'relu6'"):
        make_activation("relu6")
    w = torch.empty(400, 1000)
    lookup_init("relu", 1000, 400)(w)
    assert abs(w.std().item() - (2 / 1000) ** 0.5) < 0.005
    lookup_init("tanh", 1000, 400)(w)
    assert abs(w.std().item() - (2 / 1400) ** 0.5) < 0.005


FEAT_MAP = {"a": [0], "b": [1], "c": [2, 3], "d": [4]}


def test_multiblock_splits_features_without_bottleneck() -> None:
    mb = MultiBlock([FullyConnected(1, 3), FullyConnected(1, 2)], [["a", "c"], ["b", "d"]])
    mb.build(5, FEAT_MAP)
    assert mb.get_out_size() == 5
    assert [b.n_in for b in mb.blocks] == [3, 2]
    x = torch.randn(4, 5)
    y = x.clone()
    y[:, [1, 4]] += 10.0  # features of block 1 only
    out_x, out_y = mb(x), mb(y)
    torch.testing.assert_close(out_x[:, :3], out_y[:, :3])
    assert not torch.allclose(out_x[:, 3:], out_y[:, 3:])


def test_multiblock_bottleneck_sees_the_other_features() -> None:
    mb = MultiBlock([FullyConnected(1, 3), FullyConnected(1, 2)], [["a", "c"], ["b", "d"]], bottleneck_sz=1)
    mb.build(5, FEAT_MAP)
    assert [b.n_in for b in mb.blocks] == [4, 3]
    assert [neck[0].in_features for neck in mb.bottlenecks] == [2, 3]
    inputs = mb.block_inputs(torch.randn(4, 5))
    assert [t.shape[1] for t in inputs] == [4, 3]
    x = torch.randn(4, 5)
    y = x.clone()
    y[:, [1, 4]] += 10.0
    assert not torch.allclose(mb(x)[:, :3], mb(y)[:, :3])  # block 0 now hears about b, d


def test_multiblock_unknown_feature() -> None:
    mb = MultiBlock([FullyConnected(1, 3)], [["a", "zz"]])
    with pytest.raises(ValueError, match=r"unknown features \['zz'\]"):
        mb.build(5, FEAT_MAP)


def test_freeze_stops_gradients() -> None:
    fc = FullyConnected(depth=2, width=4, n_in=3, freeze=True)
    assert all(not p.requires_grad for p in fc.parameters())
    fc.unfreeze()
    assert all(p.requires_grad for p in fc.parameters())
    fc.freeze()
    head = nn.Linear(4, 1)
    (head(fc(torch.randn(5, 3))).sum()).backward()
    assert all(p.grad is None for p in fc.parameters())
    assert head.weight.grad is not None


def test_prebuilt_body_is_not_rebuilt() -> None:
    fc = FullyConnected(depth=2, width=4, n_in=3)
    fc.build(3)
    assert fc.n_linear() == 2
    with pytest.raises(ValueError, match="built for n_in=3 but its input has 5"):
        fc.build(5)
