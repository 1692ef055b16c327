"""The one pre-norm block: padded, packed and class-attention calls."""

from __future__ import annotations

import torch

from halite.nn.layers.attention import key_mask_for_attention
from halite.nn.layers.packing import Packing
from halite.nn.layers.prenorm import ClassAttentionBlock, PreNormBlock, additive_mask


def test_packed_call_equals_the_padded_one_on_valid_slots() -> None:
    torch.manual_seed(0)
    block = PreNormBlock(8, 2).eval()
    x = torch.randn(3, 5, 8)
    pad = torch.arange(5)[None] >= torch.tensor([5, 2, 3])[:, None]
    padded = block(x, key_mask_for_attention(pad))
    packing = Packing.from_mask(pad)
    packed = packing.unpack(block(packing.pack(x), None, packing=packing))
    torch.testing.assert_close(packed[~pad], padded[~pad], atol=1e-6, rtol=1e-5)


def test_boolean_and_additive_masks_agree() -> None:
    torch.manual_seed(0)
    block = PreNormBlock.point(8, 2).eval()
    x = torch.randn(2, 4, 8)
    pad = torch.tensor([[False, False, True, True], [False, False, False, True]])
    a = block(x, key_mask_for_attention(pad))
    b = block(x, additive_mask(pad))
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_class_attention_ignores_padded_tokens() -> None:
    torch.manual_seed(0)
    block = ClassAttentionBlock(8, 2).eval()
    cls, x = torch.randn(2, 1, 8), torch.randn(2, 4, 8)
    pad = torch.tensor([[False, False, True, True], [False, True, True, True]])
    noisy = x.clone()
    noisy[pad] = 50.0
    out = block(cls, x, pad)
    assert out.shape == (2, 1, 8)
    torch.testing.assert_close(block(cls, noisy, pad), out)
