"""Interaction network and 1D convolution blocks."""

from __future__ import annotations

import pytest
import torch

from halite.nn.lumin_legacy.conv import Conv1DBlock, ConvHead, Res1DBlock, ResNeXt1DBlock
from halite.nn.lumin_legacy.interaction import InteractionNet


def objects(b: int = 3, n: int = 6, f: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(b, n, f)
    mask = torch.arange(n)[None, :] >= torch.tensor([6, 4, 1])[:b, None]
    return x, mask


def test_interaction_net_sum_is_permutation_invariant() -> None:
    net = InteractionNet(2, 16, 8, 2, 16, 5, agg_method="sum")
    net.build_matrix(None, 4)
    x, _ = objects()
    perm = torch.randperm(6)
    out = net.forward_matrix(x)
    assert out.shape == (3, 5)
    torch.testing.assert_close(net.forward_matrix(x[:, perm]), out, atol=1e-5, rtol=1e-5)


def test_interaction_net_ignores_padding() -> None:
    net = InteractionNet(1, 8, 4, 1, 8, 3)
    net.build_matrix(None, 4)
    x, mask = objects()
    x2 = x.clone()
    x2[mask] = 50.0
    torch.testing.assert_close(net.forward_matrix(x2, mask), net.forward_matrix(x, mask))
    # a single valid object has no partners: same as that object alone
    torch.testing.assert_close(net.forward_matrix(x, mask)[2], net.forward_matrix(x[2:3, :1])[0])


def test_interaction_net_flatten() -> None:
    net = InteractionNet(1, 8, 4, 1, 8, 3, agg_method="flatten")
    net.build_matrix(6, 4)
    assert net.get_out_size() == 18
    assert net.forward_matrix(objects()[0]).shape == (3, 18)
    with pytest.raises(ValueError, match="agg_method 'mean' unknown"):
        InteractionNet(agg_method="mean")  # type: ignore[arg-type]


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_conv_blocks_keep_length_with_auto_padding(kernel: int) -> None:
    x = torch.randn(2, 4, 9)
    assert Conv1DBlock(4, 8, kernel, bn=True)(x).shape == (2, 8, 9)
    assert Res1DBlock(4, 8, kernel)(x).shape == (2, 8, 9)
    assert ResNeXt1DBlock(4, 8, 4, 6, kernel)(x).shape == (2, 6, 9)


def test_res_block_shortcut() -> None:
    same = Res1DBlock(4, 4)
    assert isinstance(same.shortcut, torch.nn.Identity)
    for p in same.body.parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(2, 4, 7)
    torch.testing.assert_close(same(x), x)  # identity shortcut
    assert isinstance(Res1DBlock(4, 8).shortcut, torch.nn.Conv1d)
    strided = Res1DBlock(4, 4, stride=2)
    assert isinstance(strided.shortcut, torch.nn.Conv1d)
    assert strided(x).shape == (2, 4, 4)


def test_conv_errors() -> None:
    with pytest.raises(ValueError, match="odd kernel sizes"):
        Conv1DBlock(2, 2, kernel_sz=4)
    with pytest.raises(ValueError, match="divisible by cardinality"):
        ResNeXt1DBlock(4, 6, 4, 8)


@pytest.mark.parametrize("block", ["conv", "res", "resnext"])
def test_conv_head_masks_padding(block: str) -> None:
    head = ConvHead([8, 8], block=block, pool="mean")  # type: ignore[arg-type]
    head.build_matrix(None, 4)
    x, mask = objects()
    x2 = x.clone()
    x2[mask] = 30.0
    out = head.forward_matrix(x, mask)
    assert out.shape == (3, 8)
    torch.testing.assert_close(head.forward_matrix(x2, mask), out)


def _built_blocks() -> list[tuple[torch.nn.Module, torch.Tensor]]:
    from halite.nn.lumin_legacy.lorentz import LorentzBoostNet

    x = torch.randn(3, 4, 9)
    inet = InteractionNet(1, 8, 4, 1, 8, 3)
    inet.build_matrix(None, 4)
    conv = ConvHead([4, 4])
    conv.build_matrix(None, 4)
    lbn = LorentzBoostNet(2, momentum_format="pt_eta_phi")
    lbn.build_matrix(6, 3)
    tracks = torch.rand(3, 6, 3) + 0.5
    return [
        (Conv1DBlock(4, 4), x),
        (Res1DBlock(4, 4), x),
        (ResNeXt1DBlock(4, 4, 2, 4), x),
        (inet, objects()[0]),
        (conv, objects()[0]),
        (lbn, tracks),
    ]


def test_every_block_freezes_and_unfreezes() -> None:
    for block, x in _built_blocks():
        block.freeze()  # type: ignore[operator]
        fwd = block.forward_matrix if hasattr(block, "forward_matrix") else block
        out = fwd(x)
        assert not out.requires_grad, type(block).__name__
        block.unfreeze()  # type: ignore[operator]
        fwd(x).sum().backward()
        assert all(p.grad is not None for p in block.parameters()), type(block).__name__
