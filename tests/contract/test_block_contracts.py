"""Contract over every registered encoder, pooling and attention (``halite.registry``), by construction.

Each block must give the documented shapes, back-propagate, stay finite for jets with
no constituents, ignore the values in padded slots, and be permutation equivariant
(per-constituent outputs) or invariant (pooled outputs). Every encoder is a ``SetEncoder``
whose declared capabilities (``supports_packing``, ``multi_stream``, ``uses_edges``) match
what it implements and does; every attention declares ``supports_packing``.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
import torch
from torch import Tensor, nn

from halite import registry
from halite.nn import (
    CrossAttentionPooling,
    EdgeFeatures,
    EdgeFeaturesConfig,
    EdgeTransformerEncoder,
    GATv2Attention,
    GlobalAttentionPooling,
    IdentityEncoder,
    MeanPooling,
    ScaledDotProductAttention,
    SetEncoder,
    TransformerCrossAttentionEncoder,
    TransformerEncoder,
)
from halite.nn.layers.attention import key_mask_for_attention
from halite.nn.layers.packing import Packing

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
#: registered block (``halite list encoders|pooling|attention``) -> its contract cases
CASES: dict[str, dict[str, Variant]] = {
    "ScaledDotProductAttention": {
        "sdpa": Variant(lambda: ScaledDotProductAttention(D, 2), _attention, False)
    },
    "GATv2Attention": {"gatv2": Variant(lambda: GATv2Attention(D, 2), _attention, False)},
    "TransformerEncoder": {
        "sdpa": Variant(lambda: TransformerEncoder(D, 2, num_heads=2, out_dim=8), _encoder, False),
        "gatv2": Variant(lambda: TransformerEncoder(D, 2, num_heads=2, attention=GAT), _encoder, False),
        "registers": Variant(lambda: TransformerEncoder(D, 2, num_heads=2, num_registers=2), _encoder, False),
    },
    "EdgeTransformerEncoder": {"edges": Variant(_make_edge_encoder, _edge_encoder, False)},
    "IdentityEncoder": {"deep_sets": Variant(lambda: IdentityEncoder(D), _encoder, False)},
    "TransformerCrossAttentionEncoder": {
        "two_streams": Variant(
            lambda: TransformerCrossAttentionEncoder(
                ["a", "b"], D, 2, num_heads=2, ca_every_layer=True, out_dim=8
            ),
            _two_streams,
            False,
            halves=True,
        )
    },
    "GlobalAttentionPooling": {"default": Variant(lambda: _built(GlobalAttentionPooling()), _pool, True)},
    "MeanPooling": {"default": Variant(lambda: _built(MeanPooling()), _pool, True)},
    "CrossAttentionPooling": {
        "sdpa": Variant(lambda: _built(CrossAttentionPooling(2, num_heads=2)), _pool, True),
        "gatv2": Variant(lambda: _built(CrossAttentionPooling(1, num_heads=2, attention=GAT)), _pool, True),
    },
}
#: registered encoder -> its declared (supports_packing, multi_stream, uses_edges)
CAPABILITIES: dict[str, tuple[bool, bool, bool]] = {
    "TransformerEncoder": (True, False, False),
    "EdgeTransformerEncoder": (False, False, True),
    "IdentityEncoder": (True, False, False),
    "TransformerCrossAttentionEncoder": (False, True, False),
}
#: registered attention -> its declared supports_packing
ATTENTION_PACKS = {"ScaledDotProductAttention": True, "GATv2Attention": False}
KINDS = ("encoders", "pooling", "attention")
REGISTERED = {e.name: e.kind for kind in KINDS for e in registry.entries(kind)}
VARIANTS: dict[str, Variant] = {
    f"{block}-{case}": variant for block in REGISTERED for case, variant in CASES.get(block, {}).items()
}


def test_every_registered_block_has_a_contract_case() -> None:
    missing = sorted(b for b in REGISTERED if not CASES.get(b))
    assert not missing, f"registered blocks without a contract case in CASES: {missing}; add one"
    assert set(CASES) <= set(REGISTERED), (
        f"cases for unregistered blocks: {sorted(set(CASES) - set(REGISTERED))}"
    )


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_case_builds_its_registered_class(name: str) -> None:
    block = name.split("-")[0]
    assert type(VARIANTS[name].make()) is registry.get(REGISTERED[block], block)


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


@pytest.mark.parametrize("name", sorted(b for b, kind in REGISTERED.items() if kind == "encoders"))
def test_encoder_declares_its_capabilities(name: str) -> None:
    cls = registry.get("encoders", name)
    assert issubclass(cls, SetEncoder)
    assert name in CAPABILITIES, f"add the declared capabilities of {name} to CAPABILITIES"
    flags = (cls.supports_packing, cls.multi_stream, cls.uses_edges)
    assert all(type(f) is bool for f in flags)
    assert flags == CAPABILITIES[name]
    assert (cls.forward_packed is not SetEncoder.forward_packed) == cls.supports_packing
    assert (cls.build_edges is not SetEncoder.build_edges) == cls.uses_edges


@pytest.mark.parametrize("name", sorted(n for n in VARIANTS if REGISTERED[n.split("-")[0]] == "encoders"))
def test_encoder_instance_follows_its_declaration(name: str) -> None:
    variant, module = build(name)
    assert isinstance(module, SetEncoder)
    x, mask = inputs(variant.halves)
    with torch.no_grad():
        out = variant.run(module, x, mask)
    assert module.embed_dim == D and out.shape[-1] == module.out_features
    assert (module.input_names is not None) == module.multi_stream
    assert not module.packed or module.supports_packing
    if module.packed:
        padded = copy.deepcopy(module)
        padded.packed = False
        packing = Packing.from_mask(mask)
        with torch.no_grad():
            ref = variant.run(padded, x, mask)
            packed = packing.unpack(module.forward_packed(packing.pack(x), packing))
        torch.testing.assert_close(packed[~mask], ref[~mask], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(out[~mask], ref[~mask], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(b for b, kind in REGISTERED.items() if kind == "attention"))
def test_attention_declares_packing(name: str) -> None:
    cls = registry.get("attention", name)
    assert name in ATTENTION_PACKS, f"add the declared supports_packing of {name} to ATTENTION_PACKS"
    packs = inspect.getattr_static(cls, "supports_packing", None)  # declared on the class
    assert type(packs) is bool and packs == ATTENTION_PACKS[name]
    assert callable(getattr(cls, "forward_packed", None)) == packs


def test_transformer_encoder_packs_only_with_packing_attention() -> None:
    assert TransformerEncoder(D, 2, num_heads=2).packed
    assert not TransformerEncoder(D, 2, num_heads=2, packed=False).packed
    assert not TransformerEncoder(D, 2, num_heads=2, attention=GAT).packed
