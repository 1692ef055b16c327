"""FiLM transformations: sizes, identity start, conditioning."""

from __future__ import annotations

import pytest
import torch

from halite.nn.layers.dense import DenseConfig
from halite.nn.layers.featurewise import FeaturewiseConfig, FeaturewiseTransformation


def test_output_size_mismatch_is_an_error() -> None:
    cfg = FeaturewiseConfig(layer="encoder", dense_config_scale=DenseConfig(hidden_layers=[4], output_size=7))
    with pytest.raises(
        ValueError, match=r"dense_config_scale.output_size=7 but the transformed layer has 16"
    ):
        FeaturewiseTransformation(cfg, condition_size=1, feature_size=16, where="featurewise_nets[0]")
    cfg = FeaturewiseConfig(layer="global", dense_config_bias=DenseConfig(output_size=3))
    with pytest.raises(ValueError, match=r"dense_config_bias.output_size=3"):
        FeaturewiseTransformation(cfg, 1, 16, "featurewise_nets[1]")


def test_needs_scale_or_bias() -> None:
    with pytest.raises(ValueError, match="set dense_config_scale and/or dense_config_bias"):
        FeaturewiseTransformation(FeaturewiseConfig(layer="input"), 1, 4, "x")


def test_identity_at_start_then_conditioned() -> None:
    cfg = FeaturewiseConfig(
        layer="encoder", dense_config_scale=DenseConfig(hidden_layers=[8]), dense_config_bias=DenseConfig()
    )
    film = FeaturewiseTransformation(cfg, 2, 6, "x")
    x, cond = torch.randn(3, 5, 6), torch.randn(3, 2)
    torch.testing.assert_close(film(x, cond), x)
    with torch.no_grad():
        film.bias.net[-1].bias.fill_(1.0)  # type: ignore[union-attr]
        film.scale.net[-1].weight.fill_(0.5)  # type: ignore[union-attr]
    out = film(x, cond)
    assert not torch.allclose(out[0], out[1] - x[1] + x[0])  # depends on the condition per jet
    norm = FeaturewiseTransformation(
        FeaturewiseConfig("global", dense_config_bias=DenseConfig(), apply_norm=True), 2, 6, "x"
    )
    y = norm(torch.randn(4, 6) * 10 + 3, cond[:1].expand(4, 2))
    torch.testing.assert_close(y.mean(-1), torch.zeros(4), atol=1e-5, rtol=0)
