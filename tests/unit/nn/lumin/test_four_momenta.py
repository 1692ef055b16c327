"""``to_four_momenta``: (pt, eta, phi[, m]) -> (px, py, pz, E), lumin's order."""

from __future__ import annotations

import math

import pytest
import torch

from halite.nn.lumin.four_momenta import to_four_momenta


def test_px_py_pz_e_is_returned_as_given() -> None:
    x = torch.randn(2, 3, 4)
    assert to_four_momenta(x) is x
    torch.testing.assert_close(to_four_momenta(x, scale=2.0), 2 * x)


def test_pt_eta_phi_with_mass_and_scale() -> None:
    x = torch.tensor([[[2000.0, 0.5, math.pi / 2], [0.0, 0.0, 0.0]]])  # MeV; the second object is padding
    out = to_four_momenta(x, "pt_eta_phi", mass=139.57, scale=1e-3)
    pz = 2.0 * math.sinh(0.5)
    want = [0.0, 2.0, pz, math.sqrt(4.0 + pz**2 + 0.13957**2)]
    torch.testing.assert_close(out[0, 0], torch.tensor(want), rtol=1e-5, atol=1e-5)
    assert out[0, 1].tolist() == [0.0, 0.0, 0.0, 0.0]  # not E = mass


def test_pt_eta_phi_m_uses_each_mass() -> None:
    x = torch.tensor([[[3.0, 0.0, 0.0, 4.0]]])
    torch.testing.assert_close(to_four_momenta(x, "pt_eta_phi_m"), torch.tensor([[[3.0, 0.0, 0.0, 5.0]]]))


def test_bad_format_or_width_raises() -> None:
    with pytest.raises(ValueError, match="unknown momentum format"):
        to_four_momenta(torch.zeros(1, 1, 4), "e_px_py_pz")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs 3 features"):
        to_four_momenta(torch.zeros(1, 1, 4), "pt_eta_phi")
