"""Conv1DBlock, Res1DBlock, ResNeXt1DBlock against lumin 0.9.1's numbers (tests/unit/nn/lumin/pinned_conv.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from halite.nn.lumin import Conv1DBlock, Res1DBlock, ResNeXt1DBlock, Swish
from tests.unit.nn.lumin.pinned_conv import LUMIN, check_pinned
from tests.unit.nn.lumin.weights import fixed_input, set_weights

# lumin's documented examples (Examples::) and one even-kernel Conv1DBlock.
EXAMPLES = {
    "conv_a": lambda: Conv1DBlock(in_c=3, out_c=16, kernel_sz=3),
    "conv_b": lambda: Conv1DBlock(in_c=16, out_c=32, kernel_sz=3, stride=2),
    "conv_c": lambda: Conv1DBlock(in_c=3, out_c=16, kernel_sz=3, act="swish", bn=True),
    "conv_even": lambda: Conv1DBlock(in_c=3, out_c=4, kernel_sz=4),
    "res_a": lambda: Res1DBlock(in_c=16, out_c=16, kernel_sz=3),
    "res_b": lambda: Res1DBlock(in_c=16, out_c=32, kernel_sz=3, stride=2),
    "res_c": lambda: Res1DBlock(in_c=16, out_c=16, kernel_sz=3, act="swish", bn=True),
    "resnext_a": lambda: ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3),
    "resnext_b": lambda: ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3, stride=2),
    "resnext_c": lambda: ResNeXt1DBlock(
        in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3, act="swish", bn=True
    ),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_documented_examples_match_lumin(name: str) -> None:
    check_pinned(name, EXAMPLES[name]())


@pytest.mark.parametrize("name", ["conv_a", "res_b", "resnext_c"])
def test_seeded_init_draws_as_lumin(name: str) -> None:
    """Same seed, same initial weights and the same generator state afterwards as lumin 0.9.1."""
    key, first, rng_after = LUMIN[name]["seed0"]
    torch.manual_seed(0)
    block = EXAMPLES[name]()
    assert block.state_dict()[key].flatten()[:3].tolist() == pytest.approx(first, rel=1e-5)
    assert torch.rand(1).item() == pytest.approx(rng_after, rel=1e-6)


def test_conv_attributes_padding_and_layer_order() -> None:
    block = Conv1DBlock(in_c=3, out_c=16, kernel_sz=5, stride=2, act="swish", bn=True)
    assert (block.in_c, block.out_c, block.ks, block.pad, block.stride, block.act, block.bn) == (
        3, 16, 5, 2, 2, "swish", True
    )  # fmt: skip
    assert Conv1DBlock.get_padding(3) == 1 and Conv1DBlock.get_padding(4) == 2
    assert [type(m) for m in block.layers] == [nn.Conv1d, Swish, nn.BatchNorm1d]
    assert Conv1DBlock(3, 4, 3, padding=0).layers[0].padding == (0,)
    assert [type(m) for m in Conv1DBlock(3, 4, 3, act="linear").layers] == [nn.Conv1d]
    assert torch.count_nonzero(block.layers[0].bias) == 0


def test_even_kernel_auto_padding_pads_as_lumin() -> None:
    """lumin pads kernel_sz // 2 at both ends: kernel 4 over 8 columns gives 9 (the old halite block raised)."""
    y = Conv1DBlock(in_c=3, out_c=4, kernel_sz=4)(fixed_input(2, 3, 8))
    assert y.shape == (2, 4, 9)


def test_get_conv_layer_pre_activation_and_groups() -> None:
    block = Conv1DBlock(in_c=4, out_c=8, kernel_sz=3, act="relu", bn=True)
    pre = block.get_conv_layer(8, 8, kernel_sz=3, pre_act=True, groups=2)
    assert [type(m) for m in pre] == [nn.BatchNorm1d, nn.ReLU, nn.Conv1d]
    assert pre[0].num_features == 8 and pre[2].groups == 2 and pre[2].weight.shape == (8, 4, 3)
    post = block.get_conv_layer(4, 6, kernel_sz=1)
    assert [type(m) for m in post] == [nn.Conv1d, nn.ReLU, nn.BatchNorm1d] and post[2].num_features == 6


def test_set_layers_can_be_overloaded() -> None:
    class Twice(Conv1DBlock):
        def set_layers(self) -> None:
            self.layers = nn.Sequential(
                self.get_conv_layer(self.in_c, self.out_c, self.ks),
                self.get_conv_layer(self.out_c, self.out_c, self.ks),
            )

    block = Twice(in_c=3, out_c=5, kernel_sz=3)
    assert block(fixed_input(2, 3, 7)).shape == (2, 5, 7)
    assert len(block.layers) == 2


def test_selu_init_gets_the_fan_in() -> None:
    """lumin 0.9.1 crashes here (lookup_init('selu') without fan_in); weights are N(0, 1/fan_in)."""
    torch.manual_seed(0)
    block = Conv1DBlock(in_c=50, out_c=200, kernel_sz=4, act="selu")
    std = block.layers[0].weight.std().item()
    assert std == pytest.approx((1 / (50 * 4)) ** 0.5, rel=0.05)


def test_lookup_init_receives_act_and_fans() -> None:
    seen: list[tuple[str, int | None, int | None]] = []

    def lookup_init(act: str, fan_in: int | None = None, fan_out: int | None = None):
        seen.append((act, fan_in, fan_out))
        return nn.init.zeros_

    ResNeXt1DBlock(
        in_c=8, inter_c=2, cardinality=3, out_c=8, kernel_sz=5, act="relu", lookup_init=lookup_init
    )
    assert seen == [("relu", 8, 6), ("relu", 2 * 5, 2 * 5), ("relu", 6, 8)]


def test_residual_shortcuts() -> None:
    assert Res1DBlock(16, 16, 3).shortcut is None
    assert isinstance(Res1DBlock(16, 32, 3).shortcut, nn.Conv1d)
    assert Res1DBlock(16, 16, 3, stride=2).shortcut.stride == (2,)
    block = Res1DBlock(4, 4, 3)
    set_weights(block)
    x = fixed_input(2, 4, 6)
    assert torch.allclose(block(x), x + block.layers(x))


def test_resnext_width_is_inter_c_times_cardinality_and_stride_on_first_conv() -> None:
    """The issue's defect: halite read inter_c as the total width and strode another conv; lumin does this."""
    block = ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3, stride=2)
    convs = [seq[-1] for seq in block.layers]
    assert [c.weight.shape for c in convs] == [(16, 32, 1), (16, 4, 3), (32, 16, 1)]
    assert [c.stride for c in convs] == [(2,), (1,), (1,)]
    assert [c.groups for c in convs] == [1, 4, 1]
    assert (block.inter_c, block.cardinality) == (4, 4)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Res1DBlock(3, 3, kernel_sz=4),
        lambda: ResNeXt1DBlock(8, 2, 2, 8, kernel_sz=4),
        lambda: Res1DBlock(3, 3, 3, padding=0),
    ],
)
def test_residual_blocks_that_cannot_add_raise_at_construction(make) -> None:
    """lumin 0.9.1 builds these and fails in forward with a size mismatch; here the constructor explains."""
    with pytest.raises(ValueError, match="odd kernel_sz"):
        make()
