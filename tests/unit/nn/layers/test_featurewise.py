"""FiLM transformations: sizes, identity start, conditioning."""

from __future__ import annotations

import pytest
import torch

from halite.nn.layers.dense import Dense, DenseConfig
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


def test_salt_form_scales_then_normalises() -> None:
    """``form: salt``: ``scale(c) * x + bias(c)``, then the norm (salt's FeaturewiseTransformation)."""
    torch.manual_seed(0)
    cfg = FeaturewiseConfig("encoder", DenseConfig([4]), DenseConfig([4]), apply_norm=True, form="salt")
    fw = FeaturewiseTransformation(cfg, 2, 3, "test")
    x, c = torch.randn(5, 7, 3), torch.randn(5, 2)
    expected = fw.scale(c)[:, None] * x + fw.bias(c)[:, None]
    expected = torch.nn.functional.layer_norm(expected, (3,))
    assert torch.allclose(fw(x, c), expected, atol=1e-6)
    assert fw.scale.net[-1].weight.abs().sum() > 0  # default initialisation, not the identity start
    assert fw.norm is not None and fw.norm.weight.shape == (3,)  # salt's LayerNorm learns a scale and bias


def test_dense_config_final_activation() -> None:
    net = Dense.from_config(DenseConfig([4], output_size=2, final_activation="Sigmoid"), 3)
    out = net(torch.randn(6, 3))
    assert ((out > 0) & (out < 1)).all() and isinstance(net.net[-1], torch.nn.Sigmoid)


def test_packed_tokens_get_their_own_jets_transformation() -> None:
    """With a ``Packing``, every packed token is transformed by its jet's scale and bias."""
    from halite.nn.layers.packing import Packing

    torch.manual_seed(0)
    cfg = FeaturewiseConfig("encoder_layers", DenseConfig([4]), DenseConfig([4]), form="salt")
    fw = FeaturewiseTransformation(cfg, 2, 3, "test")
    x, c = torch.randn(4, 6, 3), torch.randn(4, 2)
    mask = torch.arange(6)[None] >= torch.tensor([6, 0, 2, 3])[:, None]
    packing = Packing.from_mask(mask)
    packed = packing.unpack(fw(packing.pack(x), c, packing))
    expected = fw.scale(c)[:, None] * x + fw.bias(c)[:, None]
    assert torch.allclose(packed[~mask], expected[~mask], atol=1e-6)
    assert torch.allclose(fw(x, c), expected, atol=1e-6)
