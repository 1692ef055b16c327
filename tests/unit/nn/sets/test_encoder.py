"""Transformer encoder and pooling: padding invariance, permutation symmetry, empty sets."""

from __future__ import annotations

import pytest
import torch

from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.nn.sets.transformer import TransformerEncoder


def make(batch: int = 4, n: int = 7, d: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(batch, n, d)
    lengths = torch.tensor([7, 3, 1, 5])[:batch]
    mask = torch.arange(n)[None, :] >= lengths[:, None]
    return x, mask


def encoder() -> TransformerEncoder:
    return TransformerEncoder(embed_dim=16, num_layers=2, num_heads=4, out_dim=8).eval()


def test_padding_values_do_not_change_valid_outputs() -> None:
    enc = encoder()
    x, mask = make()
    out = enc(x, mask)
    x2 = x.clone()
    x2[mask] = torch.randn(int(mask.sum()), 16) * 100
    out2 = enc(x2, mask)
    torch.testing.assert_close(out[~mask], out2[~mask], atol=1e-5, rtol=1e-5)
    assert out.shape == (4, 7, 8)


def test_equivariant_to_constituent_order() -> None:
    enc = encoder()
    x, mask = make()
    x, mask = x[:1], torch.zeros(1, 7, dtype=torch.bool)
    perm = torch.randperm(7)
    torch.testing.assert_close(enc(x, mask)[:, perm], enc(x[:, perm], mask), atol=1e-5, rtol=1e-5)


def test_pooling_invariant_and_trimming_equivalent() -> None:
    enc = encoder()
    pool = GlobalAttentionPooling()
    pool.build(8)
    x, mask = make()
    pooled = pool(enc(x, mask), mask)
    # trimming padding slots away gives the same pooled result
    pooled_trim = pool(enc(x[:, :5], mask[:, :5]), mask[:, :5])
    torch.testing.assert_close(pooled[[1, 2, 3]], pooled_trim[[1, 2, 3]], atol=1e-5, rtol=1e-5)
    perm = torch.randperm(7)
    full = torch.zeros(1, 7, dtype=torch.bool)
    torch.testing.assert_close(
        pool(enc(x[:1], full), full), pool(enc(x[:1, perm], full), full), atol=1e-5, rtol=1e-5
    )


def test_zero_track_jet_is_finite_with_gradients() -> None:
    enc = TransformerEncoder(embed_dim=16, num_layers=2, num_heads=4)
    pool = GlobalAttentionPooling()
    pool.build(16)
    x = torch.randn(2, 3, 16, requires_grad=True)
    mask = torch.tensor([[True, True, True], [False, False, True]])
    out = pool(enc(x, mask), mask)
    assert torch.isfinite(out).all()
    assert torch.equal(out[0], torch.zeros(16))
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("at", ["input", "output", "none"])
def test_final_norm_position(at: str) -> None:
    """``final_norm_at``: before the output projection, after it (salt's ``do_final_norm``), or none."""
    torch.manual_seed(0)
    enc = TransformerEncoder(8, 1, num_heads=2, out_dim=4, final_norm_at=at).eval()  # type: ignore[arg-type]
    x = torch.randn(2, 3, 8)
    mask = torch.tensor([[False, False, True], [False, True, True]])
    valid = enc(x, mask)[~mask]
    if at == "output":
        assert torch.allclose(valid.mean(-1), torch.zeros(len(valid)), atol=1e-5)
        assert enc.final_norm.normalized_shape == (4,)
    else:
        assert not torch.allclose(valid.mean(-1), torch.zeros(len(valid)), atol=1e-3)
    if at == "none":
        assert isinstance(enc.final_norm, torch.nn.Identity)
    with pytest.raises(ValueError, match="final_norm_at"):
        TransformerEncoder(8, 1, num_heads=2, final_norm_at="after")  # type: ignore[arg-type]


def test_register_tokens_packed_padded_and_empty_sets() -> None:
    """``num_registers``: constituents attend to learned tokens that are dropped from the output."""
    from halite.nn.layers.packing import Packing

    torch.manual_seed(0)
    enc = TransformerEncoder(8, 2, num_heads=2, out_dim=4, num_registers=3).eval()
    with torch.no_grad():
        enc.registers.normal_()  # salt starts them near zero; make their effect visible
    x = torch.randn(3, 5, 8)
    mask = torch.arange(5)[None] >= torch.tensor([2, 0, 5])[:, None]
    packed = enc(x, mask)
    assert packed.shape == (3, 5, 4) and torch.isfinite(packed).all()
    packing = Packing.from_mask(mask)
    assert torch.allclose(packing.unpack(enc.forward_packed(packing.pack(x), packing)), packed, atol=1e-6)
    enc.packed = False
    padded = enc(x, mask)
    assert torch.allclose(packed[~mask], padded[~mask], atol=1e-5)
    plain = TransformerEncoder(8, 2, num_heads=2, out_dim=4)
    plain.load_state_dict({k: v for k, v in enc.state_dict().items() if k != "registers"})
    assert not torch.allclose(plain.eval()(x, mask)[~mask], packed[~mask], atol=1e-3)
    assert "registers" not in plain.state_dict()
    with pytest.raises(ValueError, match="num_registers"):
        TransformerEncoder(8, 1, num_heads=2, num_registers=-1)
