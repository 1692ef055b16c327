"""Lorentz Boost Network: physical boosts, learned combinations, padding, empty jets."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from halite.nn.lumin_legacy.lorentz import (
    AutoExtractLorentzBoostNet,
    LorentzBoostNet,
    boost_to_rest_frame,
    four_momenta,
    mass_squared,
)
from halite.nn.lumin_legacy.matrix import MatrixInputConfig


def random_p4(n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mom = torch.randn(n, 3, generator=g, dtype=torch.float64) * 20
    mass = torch.rand(n, generator=g, dtype=torch.float64) * 5 + 0.1
    e = torch.sqrt((mom**2).sum(-1) + mass**2)
    return torch.cat([e[:, None], mom], dim=-1)


def test_boost_into_own_rest_frame() -> None:
    p = random_p4(50)
    rest = boost_to_rest_frame(p, p)
    torch.testing.assert_close(rest[:, 1:], torch.zeros(50, 3, dtype=torch.float64), atol=1e-9, rtol=0)
    torch.testing.assert_close(rest[:, 0], mass_squared(p).sqrt(), atol=1e-9, rtol=1e-9)


def test_boost_preserves_invariant_masses() -> None:
    p, frame = random_p4(40, 1), random_p4(40, 2)
    boosted = boost_to_rest_frame(p, frame)
    torch.testing.assert_close(mass_squared(boosted), mass_squared(p), rtol=1e-8, atol=1e-8)
    # the invariant mass of a pair is preserved too
    q = random_p4(40, 3)
    pair = mass_squared(boost_to_rest_frame(p, frame) + boost_to_rest_frame(q, frame))
    torch.testing.assert_close(pair, mass_squared(p + q), rtol=1e-8, atol=1e-6)
    # an empty (zero-energy) frame leaves the particle unchanged
    torch.testing.assert_close(boost_to_rest_frame(p, torch.zeros_like(p)), p)


def test_four_momenta_from_pt_eta_phi() -> None:
    x = torch.tensor([[10.0, 0.5, 0.3]], dtype=torch.float64)
    p = four_momenta(x, "pt_eta_phi", mass=0.13957)
    torch.testing.assert_close(mass_squared(p).sqrt(), torch.tensor([0.13957], dtype=torch.float64))
    torch.testing.assert_close(p[0, 1:3].norm(), torch.tensor(10.0, dtype=torch.float64))


def tracks(b: int = 6, n: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    pt = torch.rand(b, n) * 50 + 1
    eta, phi = torch.randn(b, n), torch.rand(b, n) * 6.28 - 3.14
    lengths = torch.tensor([5, 3, 0, 1, 4, 2])[:b]
    mask = torch.arange(n)[None, :] >= lengths[:, None]
    return torch.stack([pt, eta, phi], dim=-1), mask


def test_lbn_features_padding_and_empty_jets() -> None:
    lbn = LorentzBoostNet(4, momentum_format="pt_eta_phi", mass=0.14, bn=False)
    lbn.build_matrix(5, 3)
    assert lbn.get_out_size() == 4 * 4 + 6
    x, mask = tracks()
    out = lbn.forward_matrix(x, mask)
    assert out.shape == (6, 22) and torch.isfinite(out).all()
    x2 = x.clone()
    x2[mask] = 1e3  # padding values must not matter
    torch.testing.assert_close(lbn.forward_matrix(x2, mask), out)
    # each boosted combination has the invariant mass of the combination
    boosted = lbn.boosted(x, mask)
    p = four_momenta(x.double(), "pt_eta_phi", 0.14).masked_fill(mask.unsqueeze(-1), 0.0)
    combos = torch.einsum("bof,om->bmf", p, lbn.particle_w.double().abs())
    torch.testing.assert_close(mass_squared(boosted), mass_squared(combos), rtol=1e-6, atol=1e-6)
    out.sum().backward()
    assert lbn.particle_w.grad is not None and torch.isfinite(lbn.particle_w.grad).all()


def test_lbn_checks() -> None:
    with pytest.raises(ValueError, match="normalise: false"):
        LorentzBoostNet(2, matrix=MatrixInputConfig("tracks"))
    lbn = LorentzBoostNet(2, momentum_format="pt_eta_phi")
    with pytest.raises(ValueError, match="needs 3 features per object, got 4"):
        lbn.build_matrix(5, 4)


def test_auto_extract_lbn_and_custom_extractor() -> None:
    auto = AutoExtractLorentzBoostNet(3, n_singles=4, n_pairs=2, momentum_format="pt_eta_phi", mass=0.14)
    auto.build_matrix(5, 3)
    assert auto.get_out_size() == 3 * 4 + 3 * 2
    x, mask = tracks()
    assert auto.forward_matrix(x, mask).shape == (6, 18)
    custom = LorentzBoostNet(3, feat_extractor=torch.nn.Flatten(), momentum_format="pt_eta_phi")
    custom.build_matrix(5, 3)
    assert custom.get_out_size() == 12
    assert custom.forward_matrix(x, mask).shape == (6, 12)


def test_lbn_block_model_exports_to_onnx(tmp_path: Path) -> None:
    import numpy as np
    import onnxruntime as ort

    from halite.models.block_model import BlockModel
    from halite.nn.lumin_legacy.body import FullyConnected
    from halite.nn.lumin_legacy.heads import CatEmbHead, MultiHead
    from halite.tasks.class_reg_multi import ClassRegMultiTask

    variables = {"jets": ["pt"], "tracks": ["pt", "eta", "phi"]}
    norm = {s: {v: {"mean": 0.0, "std": 1.0} for v in vs} for s, vs in variables.items()}
    matrix = MatrixInputConfig("tracks", ["pt", "eta", "phi"], n_objects=5, sort_by="pt", normalise=False)
    lbn = LorentzBoostNet(3, momentum_format="pt_eta_phi", mass=139.57, scale=1e-3, matrix=matrix)
    task = ClassRegMultiTask("flav", "jets", "flavour_label")
    model = BlockModel(MultiHead(CatEmbHead(), lbn), FullyConnected(2, 8, bn=True), [task], variables, norm)

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, jets: torch.Tensor, trk: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            return self.model({"jets": jets, "tracks": trk}, {"tracks": mask})[0]["flav"]

    wrapped = Wrapped().eval()
    scale = torch.tensor([1e4, 1.0, 1.0])

    def example(b: int, n: int) -> tuple[torch.Tensor, ...]:
        mask = torch.arange(n)[None, :] >= torch.randint(0, n + 1, (b, 1))
        return torch.rand(b, 1) * 1e5, torch.rand(b, n, 3) * scale + 0.1, mask

    path = tmp_path / "lbn.onnx"
    dyn = {"jets": {0: "B"}, "trk": {0: "B", 1: "N"}, "mask": {0: "B", 1: "N"}}
    torch.onnx.export(
        wrapped, example(4, 8), str(path), input_names=list(dyn), dynamic_axes=dyn, dynamo=False
    )
    session = ort.InferenceSession(str(path))
    for b, n in [(4, 8), (3, 3)]:  # more and fewer tracks than n_objects
        x = example(b, n)
        got = session.run(None, {k: v.numpy() for k, v in zip(dyn, x)})[0]
        np.testing.assert_allclose(got, wrapped(*x).detach().numpy(), rtol=1e-5, atol=1e-3)
