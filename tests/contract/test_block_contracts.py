"""Contract over every encoder, pooling and attention variant.

Each block must give the documented shapes, back-propagate, stay finite for jets with
no constituents, ignore the values in padded slots, and be permutation equivariant
(per-constituent outputs) or invariant (pooled outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
import torch
from torch import Tensor, nn

from halite.nn.layers.attention import ScaledDotProductAttention, key_mask_for_attention
from halite.nn.layers.edges import EdgeFeatures, EdgeFeaturesConfig
from halite.nn.layers.gatv2 import GATv2Attention
from halite.nn.sets.cross_attention import TransformerCrossAttentionEncoder
from halite.nn.sets.edge_transformer import EdgeTransformerEncoder
from halite.nn.sets.pooling import CrossAttentionPooling, GlobalAttentionPooling, MeanPooling
from halite.nn.sets.transformer import TransformerEncoder

D = 16
B, N = 5, 7


@dataclass
class Variant:
    """How to build and call one block: ``run(module, x (B, N, D), pad_mask (B, N)) -> output``."""

    make: Callable[[], nn.Module]
    run: Callable[[nn.Module, Tensor, Tensor], Tensor]
    pooled: bool
    halves: bool = False  # two streams: slots [:N//2] and [N//2:], permuted separately


def _encoder(module: nn.Module, x: Tensor, mask: Tensor) -> Tensor:
    return module(x, mask)


def _attention(module: nn.Module, x: Tensor, mask: Tensor) -> Tensor:
    return module(x, attn_mask=key_mask_for_attention(mask))


def _make_edge_encoder() -> nn.Module:
    enc = EdgeTransformerEncoder(D, num_layers=2, num_heads=2, edge_embed_dim=8, update_edges=True)
    edges = EdgeFeatures(EdgeFeaturesConfig("tracks", ["dR", "kt", "z", "isSelfLoop"]), ["pt", "eta", "phi"])
    enc.build_edges(edges.out_features)
    enc.edges = edges  # type: ignore[assignment]
    return enc


def _edge_encoder(module: nn.Module, x: Tensor, mask: Tensor) -> Tensor:
    raw = torch.stack([x[..., 0].exp() * 1000.0, x[..., 1], x[..., 2]], dim=-1)
    return module(x, mask, edge_x=module.edges(raw, mask))  # type: ignore[operator]


def _two_streams(module: nn.Module, x: Tensor, mask: Tensor) -> Tensor:
    h = x.shape[1] // 2
    out = module({"a": x[:, :h], "b": x[:, h:]}, {"a": mask[:, :h], "b": mask[:, h:]})
    return torch.cat([out["a"], out["b"]], dim=1)


def _pool(module: nn.Module, x: Tensor, mask: Tensor) -> Tensor:
    return module(x, mask)


def _built(pool: nn.Module) -> nn.Module:
    pool.build(D)  # type: ignore[operator]
    return pool


GAT = partial(GATv2Attention, num_heads=2)
VARIANTS: dict[str, Variant] = {
    "attention_sdpa": Variant(lambda: ScaledDotProductAttention(D, 2), _attention, False),
    "attention_gatv2": Variant(lambda: GATv2Attention(D, 2), _attention, False),
    "encoder_transformer_sdpa": Variant(
        lambda: TransformerEncoder(D, 2, num_heads=2, out_dim=8), _encoder, False
    ),
    "encoder_transformer_gatv2": Variant(
        lambda: TransformerEncoder(D, 2, num_heads=2, attention=GAT), _encoder, False
    ),
    "encoder_edges": Variant(_make_edge_encoder, _edge_encoder, False),
    "encoder_cross_attention": Variant(
        lambda: TransformerCrossAttentionEncoder(
            ["a", "b"], D, 2, num_heads=2, ca_every_layer=True, out_dim=8
        ),
        _two_streams,
        False,
        halves=True,
    ),
    "pool_global_attention": Variant(lambda: _built(GlobalAttentionPooling()), _pool, True),
    "pool_mean": Variant(lambda: _built(MeanPooling()), _pool, True),
    "pool_cross_attention_sdpa": Variant(lambda: _built(CrossAttentionPooling(2, num_heads=2)), _pool, True),
    "pool_cross_attention_gatv2": Variant(
        lambda: _built(CrossAttentionPooling(1, num_heads=2, attention=GAT)), _pool, True
    ),
}


def inputs(halves: bool = False) -> tuple[Tensor, Tensor]:
    """Random ``x`` ``(B, N, D)`` and a pad mask with varied lengths, one empty jet and one full jet."""
    x = torch.randn(B, N, D)
    lengths = [3, 0, N, 1, 5]
    if halves:  # per stream: padding after the valid entries of each half
        h = N // 2
        first = [min(n, h) for n in lengths]
        second = [n - f for n, f in zip(lengths, first)]
        mask = torch.cat(
            [
                torch.arange(h)[None] >= torch.tensor(first)[:, None],
                torch.arange(N - h)[None] >= torch.tensor(second)[:, None],
            ],
            dim=1,
        )
    else:
        mask = torch.arange(N)[None] >= torch.tensor(lengths)[:, None]
    return x, mask


def build(name: str) -> tuple[Variant, nn.Module]:
    torch.manual_seed(1)
    variant = VARIANTS[name]
    return variant, variant.make().eval()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_shapes_and_backward(name: str) -> None:
    variant, module = build(name)
    x, mask = inputs(variant.halves)
    x.requires_grad_(True)
    out = variant.run(module, x, mask)
    width = out.shape[-1]
    assert out.shape == ((B, width) if variant.pooled else (B, N, width))
    valid = out if variant.pooled else out[~mask]
    valid.pow(2).sum().backward()
    grads = [p.grad for p in module.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert not grads or any(g.abs().sum() > 0 for g in grads if g is not None)
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_empty_sets_are_finite(name: str) -> None:
    variant, module = build(name)
    x, _ = inputs(variant.halves)
    mask = torch.ones(B, N, dtype=torch.bool)
    out = variant.run(module, x, mask)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_padded_values_do_not_matter(name: str) -> None:
    variant, module = build(name)
    x, mask = inputs(variant.halves)
    noisy = x.clone()
    noisy[mask] = 100.0 * torch.randn(int(mask.sum()), D)
    with torch.no_grad():
        a, b = variant.run(module, x, mask), variant.run(module, noisy, mask)
    if not variant.pooled:
        a, b = a[~mask], b[~mask]
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_permutation(name: str) -> None:
    variant, module = build(name)
    x, mask = inputs(variant.halves)
    g = torch.Generator().manual_seed(3)
    if variant.halves:
        h = N // 2
        perm = torch.cat([torch.randperm(h, generator=g), h + torch.randperm(N - h, generator=g)])
    else:
        perm = torch.randperm(N, generator=g)
    with torch.no_grad():
        out = variant.run(module, x, mask)
        out_perm = variant.run(module, x[:, perm], mask[:, perm])
    if variant.pooled:  # invariance
        torch.testing.assert_close(out_perm, out, atol=1e-5, rtol=1e-5)
    else:  # equivariance on valid slots
        valid = ~mask[:, perm]
        torch.testing.assert_close(out_perm[valid], out[:, perm][valid], atol=1e-5, rtol=1e-5)
