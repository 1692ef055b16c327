"""GLU and the transformer's gated / RMSNorm options (salt's ``dense_kwargs.gated`` and ``norm``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from halite.nn import TransformerEncoder
from halite.nn.layers.glu import GLU
from halite.nn.layers.prenorm import PreNormBlock, make_norm
from halite.nn.layers.rmsnorm import RMSNorm


def test_glu_gates_the_value_half() -> None:
    torch.manual_seed(0)
    glu = GLU(4, 6, activation="SiLU")
    x = torch.randn(2, 3, 4)
    h = glu.in_proj(x)
    expected = glu.out_proj(nn.functional.silu(h[..., :6]) * h[..., 6:])
    assert torch.allclose(glu(x), expected)
    assert glu.in_proj.weight.shape == (12, 4) and glu.out_proj.weight.shape == (4, 6)


def test_glu_rejects_empty_widths() -> None:
    with pytest.raises(ValueError, match="positive widths"):
        GLU(4, 0)


def test_make_norm() -> None:
    x = torch.randn(3, 8)
    rms = make_norm("RMSNorm", 8)
    expected = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5)
    assert torch.allclose(rms(x), expected, atol=1e-6)
    assert isinstance(make_norm("LayerNorm", 8), nn.LayerNorm)
    with pytest.raises(ValueError, match="RMSNorm"):
        make_norm("BatchNorm", 8)  # type: ignore[arg-type]


def test_gated_rmsnorm_encoder_packed_equals_padded() -> None:
    torch.manual_seed(0)
    enc = TransformerEncoder(8, 2, num_heads=2, out_dim=4, norm="RMSNorm", gated=True).eval()
    assert isinstance(enc.layers[0].mlp, GLU) and isinstance(enc.final_norm, RMSNorm)
    x = torch.randn(3, 5, 8)
    mask = torch.arange(5)[None] >= torch.tensor([2, 0, 5])[:, None]
    packed = enc(x, mask)
    enc.packed = False
    padded = enc(x, mask)
    assert torch.allclose(packed[~mask], padded[~mask], atol=1e-5)


def test_gated_block_refuses_normformer() -> None:
    with pytest.raises(ValueError, match="gated"):
        PreNormBlock(8, 2, gated=True, normformer=True)


def test_rmsnorm_matches_torch() -> None:
    x = torch.randn(4, 6)
    ours, ref = RMSNorm(6), nn.RMSNorm(6, eps=1e-5)
    assert torch.allclose(ours(x), ref(x), atol=1e-6)
