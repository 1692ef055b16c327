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


def _shift_hook(i: int, x: torch.Tensor, packing: object) -> torch.Tensor:
    return x * (1.5 + i) + 0.25 * (i + 1)  # differs per block, the same for every token


def test_layer_hook_is_applied_before_every_block_packed_and_padded() -> None:
    """``layer_hook(i, x, packing)`` = transforming the tokens by hand before block ``i``."""
    torch.manual_seed(0)
    enc = TransformerEncoder(8, 2, num_heads=2, out_dim=4, num_registers=2).eval()
    assert enc.supports_layer_hook and enc.num_layers == 2
    x = torch.randn(3, 5, 8)
    mask = torch.arange(5)[None] >= torch.tensor([2, 0, 5])[:, None]
    # by hand, padded: registers appended, hook then block, final norm + projection, registers dropped
    h = torch.cat([x, enc.registers.expand(3, -1, -1)], dim=1)
    full = torch.cat([mask, torch.zeros(3, 2, dtype=torch.bool)], dim=1)
    from halite.nn.layers.attention import key_mask_for_attention

    with torch.no_grad():
        for i, layer in enumerate(enc.layers):
            h = layer(_shift_hook(i, h, None), key_mask_for_attention(full))
        expected = enc.project(h)[:, :5]
        packed = enc(x, mask, layer_hook=_shift_hook)
        assert torch.allclose(packed[~mask], expected[~mask], atol=1e-5)
        enc.packed = False
        padded = enc(x, mask, layer_hook=_shift_hook)
        assert torch.allclose(padded[~mask], expected[~mask], atol=1e-5)
        assert not torch.allclose(enc(x, mask)[~mask], expected[~mask], atol=1e-3)


def test_kept_registers_follow_the_constituents_packed_padded_and_empty_sets() -> None:
    """``drop_registers=False`` (salt's default): the output ends with the register tokens."""
    torch.manual_seed(0)
    keep = TransformerEncoder(8, 2, num_heads=2, out_dim=4, num_registers=3, drop_registers=False).eval()
    drop = TransformerEncoder(8, 2, num_heads=2, out_dim=4, num_registers=3).eval()
    drop.load_state_dict(keep.state_dict())  # no new parameters: the same layout
    assert (keep.output_registers, drop.output_registers) == (3, 0)
    x = torch.randn(3, 5, 8)
    mask = torch.arange(5)[None] >= torch.tensor([2, 0, 5])[:, None]
    with torch.no_grad():
        out = keep(x, mask)
        assert out.shape == (3, 8, 4)
        assert torch.allclose(out[:, :5][~mask], drop(x, mask)[~mask], atol=1e-6)
        keep.packed = False
        padded = keep(x, mask)
        assert torch.allclose(padded[:, 5:], out[:, 5:], atol=1e-5)  # the registers, jet 1 has no tracks
        assert torch.allclose(padded[:, :5][~mask], out[:, :5][~mask], atol=1e-5)
        assert torch.isfinite(out).all()
