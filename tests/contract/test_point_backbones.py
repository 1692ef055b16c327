"""Contract of every point-cloud backbone: shapes, backward, padding and permutation invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from halite import registry
from halite.nn.layers.pairwise import pair_features
from halite.nn.layers.posenc import fourier_features
from halite.nn.point.base import PointBackbone
from halite.nn.point.cond_mlp import CondOnlyMLP
from halite.nn.point.part import ParticleTransformer
from halite.nn.point.pet import PET2
from halite.nn.point.vit import PointGlobalMixedViT

VARS = {"jets": ["pt", "mass"], "particles": ["pt", "eta", "phi", "energy", "pid", "charge", "log_pt"]}


def backbones() -> dict[str, PointBackbone]:
    """One contract case per registered point backbone (``halite list point-backbones``)."""
    return {
        "PointGlobalMixedViT": PointGlobalMixedViT(
            "particles", coords=["eta", "phi"], pid="pid", num_pid=3, d_model=16, depth=2, n_heads=4
        ),
        "PET2": PET2(
            "particles",
            preset=None,
            base_dim=16,
            num_heads=4,
            num_transformers=2,
            num_transformers_head=1,
            K=3,
            num_coord=2,
            pid="pid",
            pid_dim=3,
            conditional=True,
            inputs=["eta", "phi", "log_pt", "energy", "charge"],
        ),
        "ParticleTransformer": ParticleTransformer(
            "particles",
            embed_dims=[16, 32, 16],
            pair_embed_dims=[8, 8],
            num_heads=4,
            num_layers=2,
            num_cls_layers=1,
            dropout=0.0,
        ),
        "CondOnlyMLP": CondOnlyMLP(hidden_dim=16, num_layers=2),
    }


def inputs(b: int = 3, n: int = 6, seed: int = 0) -> tuple[dict, dict, dict]:
    g = torch.Generator().manual_seed(seed)
    pt = torch.rand(b, n, generator=g) * 50 + 1
    eta, phi = torch.randn(b, n, generator=g) * 0.3, torch.randn(b, n, generator=g) * 0.3
    energy = pt * torch.cosh(eta)
    pid = torch.randint(0, 3, (b, n), generator=g).float()
    charge = torch.randint(-1, 2, (b, n), generator=g).float()
    raw = {
        "particles": torch.stack([pt, eta, phi, energy, pid, charge, pt.log()], -1),
        "jets": torch.rand(b, 2, generator=g),
    }
    normed = {k: (v - v.mean()) / (v.std() + 1e-6) for k, v in raw.items()}
    lengths = torch.tensor([n, 3, 0])[:b]
    mask = {"particles": torch.arange(n)[None] >= lengths[:, None]}
    return normed, raw, mask


REGISTERED = [e.name for e in registry.entries("point-backbones")]


def test_every_registered_backbone_has_a_contract_case() -> None:
    cases = backbones()
    missing = sorted(set(REGISTERED) - set(cases))
    assert not missing, f"registered point backbones without a contract case in backbones(): {missing}"
    for name, net in cases.items():
        assert type(net) is registry.get("point-backbones", name)


@pytest.mark.parametrize("name", REGISTERED)
def test_shapes_backward_empty_padding_permutation(name: str) -> None:
    torch.manual_seed(0)
    net = backbones()[name]
    net.build_points(VARS, "jets")
    net.eval()
    normed, raw, mask = inputs()
    out = net.encode(normed, raw, mask)
    assert out.shape == (3, net.out_features)
    assert torch.isfinite(out).all()  # includes an event with zero constituents
    net.train()
    net.encode(normed, raw, mask).sum().backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    net.eval()
    out = net.encode(normed, raw, mask)  # again: the train-mode pass moved batch-norm running statistics
    # padded slots' values do not matter
    n2, r2 = {k: v.clone() for k, v in normed.items()}, {k: v.clone() for k, v in raw.items()}
    n2["particles"][mask["particles"]] = 7.0
    r2["particles"][mask["particles"]] = 3.0
    torch.testing.assert_close(net.encode(n2, r2, mask), out, atol=1e-5, rtol=1e-5)
    # pooled output invariant under permutations of the valid constituents
    perm = torch.randperm(6)
    full = {"particles": torch.zeros(3, 6, dtype=torch.bool)}
    ref = net.encode(normed, raw, full)
    permuted = net.encode(
        {**normed, "particles": normed["particles"][:, perm]},
        {**raw, "particles": raw["particles"][:, perm]},
        full,
    )
    torch.testing.assert_close(permuted, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", REGISTERED)
@pytest.mark.parametrize("slots", [0, 1, 2])
def test_few_slots(name: str, slots: int) -> None:
    """Events with no constituent slot at all, or fewer slots than PET2's ``k`` (the exported graph's cases)."""
    torch.manual_seed(0)
    net = backbones()[name]
    net.build_points(VARS, "jets")
    net.eval()
    normed, raw, _ = inputs(2, slots)
    out = net.encode(normed, raw, {"particles": torch.zeros(2, slots, dtype=torch.bool)})
    assert out.shape == (2, net.out_features)
    assert torch.isfinite(out).all()


def test_missing_variable_error() -> None:
    with pytest.raises(ValueError, match="PET2 needs variable 'energy'"):
        PET2("particles", inputs=["pt", "energy"]).build_points({"particles": ["pt", "eta", "phi"]}, "jets")
    with pytest.raises(ValueError, match="CondOnlyMLP needs global features"):
        CondOnlyMLP().build_points({"particles": ["pt"]}, "jets")


def test_fourier_features_against_numpy() -> None:
    c = np.random.default_rng(1).normal(size=(2, 5, 2)).astype(np.float32)
    got = fourier_features(torch.from_numpy(c), 4, max_scale=100.0).numpy()
    omega = np.exp(-np.log(100.0) * np.arange(4) / 3)
    ang = c[..., None] * omega
    want = np.concatenate([np.sin(ang), np.cos(ang)], -1).reshape(2, 5, 16)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_pair_features_against_numpy() -> None:
    rng = np.random.default_rng(2)
    pt, eta, phi = rng.uniform(1, 50, (1, 4)), rng.normal(0, 1, (1, 4)), rng.uniform(-3.1, 3.1, (1, 4))
    e = pt * np.cosh(eta) + 0.2
    t_pt, t_eta, t_phi, t_e = (torch.tensor(a, dtype=torch.float64) for a in (pt, eta, phi, e))
    got = pair_features(t_pt, t_eta, t_phi, t_e).numpy()[0]
    i, j = 1, 3
    dphi = (phi[0, i] - phi[0, j] + np.pi) % (2 * np.pi) - np.pi
    delta = np.hypot(eta[0, i] - eta[0, j], dphi)
    kt = min(pt[0, i], pt[0, j]) * delta
    z = min(pt[0, i], pt[0, j]) / (pt[0, i] + pt[0, j])

    def p(k: int) -> np.ndarray:
        return np.array(
            [pt[0, k] * np.cos(phi[0, k]), pt[0, k] * np.sin(phi[0, k]), pt[0, k] * np.sinh(eta[0, k])]
        )

    m2 = (e[0, i] + e[0, j]) ** 2 - np.sum((p(i) + p(j)) ** 2)
    np.testing.assert_allclose(got[i, j], np.log([delta, kt, z, m2]), rtol=1e-6)


def linear(a: int, b: int) -> int:
    return a * b + b


def block(d: int, ratio: float, normformer: bool) -> int:
    h = int(d * ratio)
    attn = linear(d, d) + linear(d, 2 * d) + linear(d, d)
    return 2 * 2 * d + attn + linear(d, h) + linear(h, d) + (2 * d + 2 * h if normformer else 0)


def test_part_default_parameter_count() -> None:
    net = ParticleTransformer("particles")
    net.build_points({"particles": [f"v{i}" for i in range(17)] + ["pt", "eta", "phi", "energy"]}, "jets")
    f, d, heads = 17, 128, 8  # weaver's defaults: the 4 kinematic columns feed the pair features only
    embed = 2 * f + sum(
        2 * a + linear(a, b) for a, b in [(f, 128), (128, 512), (512, 128)]
    )  # BN, [LN Linear GELU]
    pair = (
        2 * 4 + linear(4, 64) + linear(64, 64) + linear(64, 64) + linear(64, heads) + 2 * (3 * 64 + heads)
    )  # BNs
    cls_block = 4 * d + linear(d, d) + linear(d, 2 * d) + linear(d, d) + linear(d, 4 * d) + linear(4 * d, d)
    expected = embed + pair + 8 * block(d, 4.0, True) + 2 * cls_block + d + 2 * d
    got = PointBackbone.num_parameters(net)
    print(f"ParT (paper sizes, 17 embedded inputs): {got:,} parameters")
    assert got == expected
    assert math.isclose(got, 2.14e6, rel_tol=0.05)  # the paper quotes 2.14M
    old = ParticleTransformer(
        "particles", input_batch_norm=False, pair_batch_norm=False, embed_kinematics=True
    )
    old.build_points({"particles": [f"v{i}" for i in range(17)] + ["pt", "eta", "phi", "energy"]}, "jets")
    f = 21  # halite's earlier network: every column embedded, no batch norm
    embed = sum(2 * a + linear(a, b) for a, b in [(f, 128), (128, 512), (512, 128)])
    pair = linear(4, 64) + linear(64, 64) + linear(64, 64) + linear(64, heads)
    assert (
        PointBackbone.num_parameters(old)
        == embed + pair + 8 * block(d, 4.0, True) + 2 * cls_block + d + 2 * d
    )
