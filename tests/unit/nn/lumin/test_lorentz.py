"""``LorentzBoostNet`` against lumin 0.9.1's, with lumin's numbers pinned.

The data of every example (stated here because the documentation's examples use a ``matrix_feats``
it does not show): 5 objects ``vecs = p0..p4``, ``feats_per_vec = [px, py, pz, E]`` (lumin's order: the
energy last), ``cont_feats = [p0_px, p0_py, p0_pz, p0_E, p1_px, ...]``, a batch of 4. The input is
physical: ``(px, py, pz) = 5 * fixed_input(4, 5, 3)``, masses ``linspace(0.14, 5, 5)`` per object and
``E = sqrt(p^2 + m^2)``; the flat input is the ``(4, 5, 4)`` matrix reshaped to ``(4, 20)``.

Every pinned number was taken from lumin 0.9.1 (torch 2.13.0, cpu) on that input, after
``set_weights`` (``tests/unit/nn/lumin/weights.py``), eval mode unless the test says train mode.
"""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import Tensor, nn

from halite.nn.lumin import LorentzBoostNet, lookup_act, lookup_normal_init
from halite.nn.lumin.lorentz import boost_to_frames
from tests.unit.nn.lumin.weights import fixed_input, set_weights

VECS = ["p0", "p1", "p2", "p3", "p4"]
FPV = ["px", "py", "pz", "E"]
CONT = [f"{v}_{f}" for v in VECS for f in FPV]
B = 4

# lumin 0.9.1: LorentzBoostNet(cont_feats, vecs, feats_per_vec, n_particles=6): state-dict layout
LBN_KEYS = [
    ("part_wgts", (6, 1, 5, 1)),
    ("rf_wgts", (6, 1, 5, 1)),
    ("bn.weight", (39,)),
    ("bn.bias", (39,)),
    ("bn.running_mean", (39,)),
    ("bn.running_var", (39,)),
    ("bn.num_batches_tracked", ()),
]


def physical() -> tuple[Tensor, Tensor]:
    """The stated physical input: flat ``(4, 20)`` and matrix ``(4, 5, 4)``."""
    mom = 5 * fixed_input(B, 5, 3)
    m = torch.linspace(0.14, 5, 5)
    e = torch.sqrt((mom**2).sum(-1) + m**2)
    mat = torch.cat([mom, e[..., None]], -1)
    return mat.reshape(B, 20), mat


def edge() -> Tensor:
    """Zero-padded samples (flat): row 0 all padding, row 1 one object, row 2 one massless object."""
    mat = physical()[1].clone()
    mat[0] = 0
    mat[1, 1:] = 0
    mat[2, 1:] = 0
    mat[2, 0] = torch.tensor([300.0, 400.0, 1200.0, 1300.0])
    return mat.reshape(B, 20)


def mass(x: Tensor) -> Tensor:
    """The documented example's extractor: boosted masses ``(B, n_particles, 1)``.

    The seed prints ``torch.sqrt((energies**2)torch.sum(momenta**2, dim=1)[:,:,None])``: the minus
    signs were lost in the documentation; the mass is ``sqrt(E^2 - |p|^2)`` (``dim=-1``), written here.
    """
    momenta, energies = x[:, :, :3], x[:, :, 3:]
    return torch.sqrt(energies**2 - torch.sum(momenta**2, dim=-1)[:, :, None])


def lbn(**kw: object) -> LorentzBoostNet:
    return LorentzBoostNet(cont_feats=CONT, feats_per_vec=FPV, vecs=VECS, n_particles=6, **kw)  # type: ignore[arg-type]


def close(a: Tensor, b: list[float] | Tensor) -> None:
    torch.testing.assert_close(a, torch.as_tensor(b, dtype=a.dtype), rtol=1e-5, atol=1e-5)


def test_signature_is_lumins() -> None:
    params = list(inspect.signature(LorentzBoostNet).parameters.values())
    names = [p.name for p in params]
    assert names == [
        "cont_feats",
        "vecs",
        "feats_per_vec",
        "n_particles",
        "feat_extractor",
        "bn",
        "lookup_init",
        "lookup_act",
        "freeze",
        "bn_class",
        "numerics",
        "features",
        "momentum_format",
        "mass",
        "scale",
        "precision",
        "kargs",
    ]
    defaults = {p.name: p.default for p in params}
    assert defaults["feat_extractor"] is None and defaults["bn"] is True and defaults["freeze"] is False
    assert defaults["lookup_init"] is lookup_normal_init and defaults["lookup_act"] is lookup_act
    assert defaults["bn_class"] is nn.BatchNorm1d
    # halite's options are keyword-only: lumin-style positional calls bind as in lumin
    assert params[names.index("numerics")].kind is inspect.Parameter.KEYWORD_ONLY
    assert defaults["numerics"] == "safe" and defaults["features"] == "lumin"
    assert (defaults["momentum_format"], defaults["mass"], defaults["scale"]) == ("px_py_pz_e", 0.0, 1.0)


def test_example_default_extractor_matches_lumin() -> None:
    # lumin's example: LorentzBoostNet(cont_feats=..., feats_per_vec=..., vecs=..., n_particles=6)
    block = lbn()
    assert block.get_out_size() == 39 == block.out_sz  # 4 * 6 + 15 pair cosines
    assert block.get_param_count() == 138
    assert [(k, tuple(v.shape)) for k, v in block.state_dict().items()] == LBN_KEYS
    assert block.feat_map == {f: list(range(39)) for f in CONT}
    assert block.comb.tolist() == torch.combinations(torch.arange(6)).tolist()
    set_weights(block)
    flat, mat = physical()
    block.eval()
    with torch.no_grad():
        out = block(flat)
        close(out[0, :5], [0.77531832, -0.11624162, -0.40442601, -3.2588177, -1.4022352])
        close(out[3, -3:], [0.5417403, -0.067211382, -0.68368351])
        torch.testing.assert_close(block(mat), out)  # a matrix input
        torch.testing.assert_close(block((flat, mat)), out)  # (flat, matrix): the matrix is used
        parts = block._get_particles(mat)  # boosted (px, py, pz, E), before the extractor
        close(parts[2, 0], [-2.7500191, -1.6589053, -0.4196043, 7.2999239])
        close(parts[1, 5], [-2.4201553, -3.406553, -4.0886521, 14.326091])
    block.train()  # no dropout: train mode (batch statistics) agrees with lumin too
    close(block(flat)[1, :3], [0.68584245, 0.066713251, -0.67411822])


def test_seeded_init_uses_the_rng_as_lumin() -> None:
    # lumin 0.9.1 after torch.manual_seed(0): the weights, and the RNG state left (check_out_sz draws too)
    torch.manual_seed(0)
    block = lbn()
    close(block.part_wgts.detach().flatten()[:3], [-0.18763997, -0.19206004, -0.041763097])
    close(block.rf_wgts.detach().flatten()[-2:], [-0.31361488, -0.0082878368])
    close(torch.rand(3), [0.19573045, 0.95368505, 0.84264994])


def test_lumin_state_dict_loads_strict() -> None:
    src = lbn()
    set_weights(src)
    dst = lbn()
    dst.load_state_dict(src.state_dict(), strict=True)
    flat, _ = physical()
    src.eval()
    dst.eval()
    torch.testing.assert_close(dst(flat), src(flat))
    assert "comb" not in dst.state_dict() and "lookup" not in dst.state_dict()  # plain attributes in lumin


def test_feat_extractor_function_documented_example() -> None:
    # The documentation's second example builds `InteractionNet(..., n_particle=6, feat_extractor=feat_extractor)`,
    # a typo in lumin's docs: the intent, tested here, is LorentzBoostNet(..., n_particles=6, feat_extractor=...).
    block = lbn(feat_extractor=mass)
    # lumin 0.9.1 takes out_sz 1 from the (B, 6, 1) output and then fails in BatchNorm1d(1); halite flattens: 6
    assert block.get_out_size() == 6
    assert block.get_param_count() == 72
    set_weights(block)
    flat, _ = physical()
    block.eval()
    with torch.no_grad():
        out = block(flat)
    assert out.shape == (B, 6)
    # lumin 0.9.1 with the extractor flattened by the user (feat_extractor=lambda x: mass(x).flatten(1)), bn=True
    close(out[0, :5], [3.0830522, 0.81223857, -1.4974726, -3.6344342, -4.1630359])
    close(out[3, -3:], [-4.2209234, -5.4425144, -3.770227])
    block.train()
    close(block(flat)[1, :3], [0.10364479, -0.019349709, -0.60728896])


def test_feat_extractor_function_without_bn() -> None:
    block = lbn(feat_extractor=mass, bn=False)
    assert block.bn is None and block.get_param_count() == 60
    set_weights(block)
    flat, _ = physical()
    with torch.no_grad():
        out = block.eval()(flat)
    # lumin 0.9.1 (bn=False) returns these masses as (B, 6, 1), with get_out_size() 1; halite: (B, 6), 6
    assert out.shape == (B, 6) and block.get_out_size() == 6
    close(out[0, :5], [7.6810102, 5.1926293, 7.8394866, 8.9638233, 9.9101067])
    close(out[3, -3:], [10.638287, 13.05549, 13.471904])


def test_feat_extractor_subclass_override_is_used() -> None:
    class MassLBN(LorentzBoostNet):
        def feat_extractor(self, x: Tensor) -> Tensor:
            return mass(x).flatten(1)

    sub = MassLBN(cont_feats=CONT, vecs=VECS, feats_per_vec=FPV, n_particles=6, bn=False)
    fn = lbn(feat_extractor=mass, bn=False)
    assert sub.get_out_size() == 6
    set_weights(sub)
    set_weights(fn)
    flat, _ = physical()
    torch.testing.assert_close(sub.eval()(flat), fn.eval()(flat))


def test_feat_extractor_module_is_used_and_saved() -> None:
    # lumin 0.9.1 registers the module (keys below) but silently calls the default extractor (out_sz 9 here)
    torch.manual_seed(0)
    ext = nn.Sequential(nn.Flatten(), nn.Linear(8, 3))
    block = LorentzBoostNet(CONT, VECS, FPV, 2, feat_extractor=ext)
    assert [k for k in block.state_dict()][:4] == [
        "part_wgts",
        "rf_wgts",
        "feat_extractor.1.weight",
        "feat_extractor.1.bias",
    ]
    assert block.get_out_size() == 3 and block.feat_extractor is ext
    flat, mat = physical()
    block.eval()
    assert block.bn is not None
    with torch.no_grad():
        torch.testing.assert_close(block(flat), block.bn(ext(block._get_particles(mat))))


def test_boost_is_a_lorentz_transformation() -> None:
    _, mat = physical()
    block = lbn(bn=False)
    with torch.no_grad():
        parts = block._combine(block.part_wgts, mat)
        frames = block._combine(block.rf_wgts, mat)
        boosted = block._get_particles(mat)
        rest = boost_to_frames(frames, frames)  # a frame in its own rest frame: (0, 0, 0, m)

    def m2(p: Tensor) -> Tensor:
        return p[..., 3] ** 2 - (p[..., :3] ** 2).sum(-1)

    torch.testing.assert_close(m2(boosted), m2(parts), rtol=1e-4, atol=1e-3)  # invariant mass kept
    torch.testing.assert_close(rest[..., :3], torch.zeros_like(rest[..., :3]), rtol=0, atol=1e-4)
    torch.testing.assert_close(rest[..., 3], m2(frames).sqrt(), rtol=1e-4, atol=1e-4)


def test_zero_padded_samples_lumin_nan_halite_finite() -> None:
    x = edge()
    ref = lbn(numerics="lumin")
    safe = lbn()
    set_weights(ref)
    set_weights(safe)
    ref.eval()
    safe.eval()
    with torch.no_grad():
        out_ref, out_safe = ref(x), safe(x)
    # lumin 0.9.1 on these rows: NaN pair cosines (0/0) for rows 0-2 (row 0: all 15 pairs; rows 1, 2: 5)
    assert torch.isnan(out_ref).any(1).tolist() == [True, True, True, False]
    assert torch.isnan(out_ref[0]).nonzero().flatten().tolist() == list(range(24, 39))
    assert torch.isfinite(out_safe).all()
    torch.testing.assert_close(out_safe[~torch.isnan(out_ref)], out_ref[~torch.isnan(out_ref)])
    close(out_safe[3, -3:], [0.5417403, -0.067211382, -0.68368351])  # a physical row: lumin's numbers
    assert safe.bn is not None
    # the safe cosine of a zero momentum is 0: row 0 (all padding) -> BN of 0 for the cosine columns
    close(out_safe[0, 24:], safe.bn(torch.zeros(1, 39))[0, 24:])
    safe.train()
    safe(x).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in safe.parameters() if p.grad is not None)


def test_boost_beyond_light_speed() -> None:
    part = torch.tensor([[1.0, 0.0, 0.0, 2.0]])
    frame = torch.tensor([[2.0, 0.0, 0.0, 1.0]])  # |p| > E: no rest frame (1 - b^2 < 0)
    assert torch.isnan(boost_to_frames(part, frame, "lumin")).any()
    out = boost_to_frames(part, frame, "safe")
    assert torch.isfinite(out).all()
    # 1 - b^2 < 0 is taken as 0: gamma = 1 / (0 + 1e-10), as lumin's at |p| = E exactly. Here b = (-2, 0, 0),
    # b.p = -2: E' = gamma (2 - 2) = 0, px' = 1 + (gamma - 1) / 4 * (-2) * (-2) + gamma * (-2) * 2 = -3e10
    torch.testing.assert_close(out, torch.tensor([[-3e10, 0.0, 0.0, 0.0]]), rtol=1e-6, atol=0.0)
    zero = torch.zeros(1, 4)
    torch.testing.assert_close(boost_to_frames(part, zero), part)  # an empty frame leaves the particle


def test_paper_features_option() -> None:
    block = lbn(bn=False, features="paper")
    assert block.get_out_size() == 5 * 6 + 15
    _, mat = physical()
    with torch.no_grad():
        out, p = block(mat), block._get_particles(mat)
    e, pt, eta, phi, m = out[:, :30].reshape(B, 5, 6).unbind(1)  # feature-major
    torch.testing.assert_close(e, p[..., 3])
    torch.testing.assert_close(pt, p[..., :2].norm(dim=-1))
    torch.testing.assert_close(eta, torch.asinh(p[..., 2] / pt), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(phi, torch.atan2(p[..., 1], p[..., 0]))
    torch.testing.assert_close(
        m, (p[..., 3] ** 2 - (p[..., :3] ** 2).sum(-1)).clamp(min=0).sqrt(), rtol=1e-3, atol=1e-3
    )
    torch.testing.assert_close(out[:, 30:], block._pair_cos(p))
    # zero-padded samples: finite outputs and gradients
    block.train()
    block(edge()).sum().backward()
    assert block.part_wgts.grad is not None and torch.isfinite(block.part_wgts.grad).all()


def test_freeze() -> None:
    block = lbn(freeze=True)
    assert block.freeze is True and block.get_param_count() == 0
    assert block.get_param_count(trainable=False) == 138


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"feats_per_vec": ["px", "py", "pz"]}, "4 features"),
        ({"momentum_format": "pt_eta_phi"}, "3 features"),
        ({"momentum_format": "e_px_py_pz"}, "momentum_format"),
        ({"feats_per_vec": ["E", "px", "py", "pz"]}, "energy must be the last"),
        ({"n_particles": 0}, "n_particles"),
        ({"numerics": "fast"}, "numerics"),
        ({"features": "all"}, "features"),
    ],
)
def test_bad_arguments_raise(kw: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"cont_feats": CONT, "vecs": VECS, "feats_per_vec": FPV, "n_particles": 6}
    args.update(kw)
    if "feats_per_vec" in kw:
        args["cont_feats"] = [f"{v}_{f}" for v in VECS for f in kw["feats_per_vec"]]  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=match):
        LorentzBoostNet(**args)  # type: ignore[arg-type]


def test_pt_eta_phi_inputs_in_mev() -> None:
    # halite extra: tracks as (pt, eta, phi) in MeV with the pion mass, scaled to GeV, give the same
    # network as lumin's (px, py, pz, E) input in GeV; all-zero (padded) tracks stay zero 4-momenta
    _, mat = physical()
    mat = mat.clone()
    mat[1, 3:] = 0  # rows padded with zeros
    pt = mat[..., :2].norm(dim=-1)
    eta = torch.asinh(mat[..., 2] / pt.clamp(min=1e-12))
    phi = torch.atan2(mat[..., 1], mat[..., 0])
    tracks = torch.stack((pt, eta, phi), -1) * torch.tensor([1e3, 1.0, 1.0])
    tracks[1, 3:] = 0
    m_pion = 0.13957
    e = torch.sqrt((mat[..., :3] ** 2).sum(-1) + m_pion**2).masked_fill((mat == 0).all(-1), 0.0)
    p4 = torch.cat((mat[..., :3], e[..., None]), -1)
    fpv = ["pt", "eta", "phi"]
    cont = [f"{v}_{f}" for v in VECS for f in fpv]
    torch.manual_seed(1)
    conv = LorentzBoostNet(cont, VECS, fpv, 6, momentum_format="pt_eta_phi", mass=139.57, scale=1e-3)
    ref = lbn()
    ref.load_state_dict(conv.state_dict(), strict=True)
    conv.eval()
    ref.eval()
    with torch.no_grad():
        torch.testing.assert_close(conv(tracks), ref(p4), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(conv(tracks.reshape(B, 15)), conv(tracks))


def test_float64_boost_precision_is_an_option_and_agrees_on_physical_inputs() -> None:
    """``precision="float64"`` (halite extra) boosts in double precision; physical inputs agree with float32."""
    torch.manual_seed(0)
    lbn32 = LorentzBoostNet(CONT, VECS, FPV, n_particles=3, bn=False)
    lbn64 = LorentzBoostNet(CONT, VECS, FPV, n_particles=3, bn=False, precision="float64")
    lbn64.load_state_dict(lbn32.state_dict())
    x = physical()[1]
    out32, out64 = lbn32(x), lbn64(x)
    assert out64.dtype == torch.float32
    torch.testing.assert_close(out64, out32, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="precision must be 'float32' or 'float64'"):
        LorentzBoostNet(CONT, VECS, FPV, n_particles=3, precision="half")  # type: ignore[arg-type]
