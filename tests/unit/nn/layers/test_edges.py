"""Edge features against numpy, and the errors for missing variables."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite.nn.layers.edges import EPS, EdgeFeatures, EdgeFeaturesConfig

VARS = ["pt", "eta", "phi", "subjetIndex"]


def make(features: list[str]) -> EdgeFeatures:
    return EdgeFeatures(EdgeFeaturesConfig("tracks", features), VARS)  # type: ignore[arg-type]


@pytest.fixture
def tracks() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor(
        [[[5000.0, 0.1, 3.1, 0.0], [2000.0, 0.3, -3.1, 1.0], [1000.0, -0.2, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0]]]
    )
    return x, torch.tensor([[False, False, False, True]])


def numpy_features(x: np.ndarray) -> dict[str, np.ndarray]:
    pt, eta, phi, sub = x[:3].T
    out = {k: np.zeros((3, 3)) for k in ("dR", "kt", "z", "isSelfLoop", "subjetIndex")}
    for i in range(3):
        for j in range(3):
            deta = eta[i] - eta[j]
            dphi = (phi[i] - phi[j] + np.pi) % (2 * np.pi) - np.pi
            dr = max(np.sqrt(deta**2 + dphi**2), EPS)
            out["dR"][i, j] = np.log(dr)
            out["kt"][i, j] = np.log(max(min(pt[i], pt[j]) * dr, EPS))
            out["z"][i, j] = np.log(min(pt[i], pt[j]) / (pt[i] + pt[j]))
            out["isSelfLoop"][i, j] = float(i == j)
            out["subjetIndex"][i, j] = float(sub[i] == sub[j])
    return out


@pytest.mark.parametrize("feature", ["dR", "kt", "z", "isSelfLoop", "subjetIndex"])
def test_feature_matches_numpy(feature: str, tracks: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, mask = tracks
    edges = make([feature])(x, mask)
    assert edges.shape == (1, 4, 4, 1)
    expected = numpy_features(x[0].double().numpy())[feature]
    np.testing.assert_allclose(edges[0, :3, :3, 0].numpy(), expected, rtol=1e-4, atol=1e-4)
    # pairs with the padded slot are zero
    assert (edges[0, 3] == 0).all() and (edges[0, :, 3] == 0).all()


def test_phi_wraps_around(tracks: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, mask = tracks
    dr = make(["dR"])(x, mask)[0, 0, 1, 0].exp().item()
    assert dr == pytest.approx(np.hypot(0.2, 2 * np.pi - 6.2), rel=1e-4)


@pytest.mark.parametrize(
    ("feature", "variables", "missing"),
    [
        ("dR", ["pt", "phi"], "eta"),
        ("kt", ["eta", "phi"], "pt"),
        ("z", ["eta"], "pt"),
        ("subjetIndex", ["pt"], "subjetIndex"),
    ],
)
def test_missing_variable_is_named(feature: str, variables: list[str], missing: str) -> None:
    with pytest.raises(
        ValueError, match=rf"Edge feature '{feature}' needs the variable '{missing}' of stream 'tracks'"
    ):
        EdgeFeatures(EdgeFeaturesConfig("tracks", [feature]), variables)  # type: ignore[list-item]
