"""PreNormBlock norm_type: salt's post and hybrid placements of the block norms."""

from __future__ import annotations

import pytest
import torch

from halite.nn.layers.attention import ScaledDotProductAttention, key_mask_for_attention
from halite.nn.layers.packing import Packing
from halite.nn.layers.prenorm import PreNormBlock
from halite.nn.sets.transformer import TransformerEncoder


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(3, 5, 8)
    pad = torch.arange(5)[None] >= torch.tensor([5, 2, 3])[:, None]
    return x, pad


def test_post_norm_is_norm_of_the_residual_sum() -> None:
    x, pad = _inputs()
    block = PreNormBlock(8, 2, norm_type="post").eval()
    mask = key_mask_for_attention(pad)
    h = block.norm1(x + block.attention(x, attn_mask=mask))
    expected = block.norm2(h + block.mlp(h))
    torch.testing.assert_close(block(x, mask), expected)


def test_hybrid_first_block_is_pre_norm_later_blocks_norm_before_the_feed_forward() -> None:
    x, pad = _inputs()
    mask = key_mask_for_attention(pad)
    first = PreNormBlock(8, 2, norm="RMSNorm", gated=True, norm_type="hybrid", depth=0).eval()
    later = PreNormBlock(8, 2, norm="RMSNorm", gated=True, norm_type="hybrid", depth=1).eval()
    for block in (first, later):
        assert isinstance(block.attention, ScaledDotProductAttention) and block.attention.qkv_norm
    h = x + first.attention(first.norm1(x), attn_mask=mask)
    torch.testing.assert_close(first(x, mask), h + first.mlp(first.norm2(h)))
    assert isinstance(later.norm1, torch.nn.Identity)
    y = later.norm2(x + later.attention(x, attn_mask=mask))
    torch.testing.assert_close(later(x, mask), y + later.mlp(y))


@pytest.mark.parametrize("norm_type", ["post", "hybrid"])
def test_packed_call_equals_the_padded_one(norm_type: str) -> None:
    x, pad = _inputs()
    encoder = TransformerEncoder(8, 2, num_heads=2, norm_type=norm_type, num_registers=2).eval()  # type: ignore[arg-type]
    assert encoder.packed
    packed = encoder(x, pad)
    encoder.packed = False
    torch.testing.assert_close(packed[~pad], encoder(x, pad)[~pad], atol=1e-5, rtol=1e-5)
    packing = Packing.from_mask(pad)
    assert packing.pack(packed).shape == (int((~pad).sum()), 8)


def test_qkv_norm_normalises_each_heads_queries_keys_and_values() -> None:
    torch.manual_seed(0)
    attn = ScaledDotProductAttention(8, 2, qkv_norm=True).eval()
    plain = ScaledDotProductAttention(8, 2).eval()
    plain.load_state_dict(attn.state_dict(), strict=False)
    x = torch.randn(2, 4, 8) * 10
    with torch.no_grad():  # a large input: the norms make the outputs differ
        assert not torch.allclose(attn(x), plain(x))
    with torch.no_grad():  # by hand: per-head x / rms(x) of q, k, v (unit norm weights), then SDPA
        rms = lambda t: t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-5)  # noqa: E731
        q = rms(attn.q_proj(x).view(2, 4, 2, 4).transpose(1, 2))
        k, v = (rms(t) for t in attn.kv_proj(x).view(2, 4, 2, 2, 4).permute(2, 0, 3, 1, 4))
        out = torch.softmax(q @ k.transpose(-1, -2) / 2.0, dim=-1) @ v
        torch.testing.assert_close(attn(x), attn.out_proj(out.transpose(1, 2).reshape(2, 4, 8)))
    assert {"q_norm.weight", "k_norm.weight", "v_norm.weight"} <= set(attn.state_dict())
    assert set(plain.state_dict()) == {k for k in attn.state_dict() if "_norm" not in k}


def test_norm_type_errors() -> None:
    with pytest.raises(ValueError, match="norm_type='mid'"):
        PreNormBlock(8, 2, norm_type="mid")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="custom attention"):
        PreNormBlock(8, 2, norm_type="hybrid", attention=lambda d: ScaledDotProductAttention(d, 2))
