"""Model wiring of the advanced inputs: GLOBAL, PARAMETERS, FiLM, edges, several streams."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from halite.data.parameters import ParameterConfig
from halite.models.model import Model
from halite.nn.layers.dense import DenseConfig
from halite.nn.layers.edges import EdgeFeaturesConfig
from halite.nn.layers.featurewise import FeaturewiseConfig
from halite.nn.sets.cross_attention import TransformerCrossAttentionEncoder
from halite.nn.sets.edge_transformer import EdgeTransformerEncoder
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.nn.sets.transformer import TransformerEncoder
from halite.tasks import ClassificationTask

B, N = 4, 6
ONE = {"mean": 0.0, "std": 1.0}
NORM = {
    "jets": {"a": ONE, "b": ONE},
    "tracks": {v: ONE for v in ("pt", "eta", "phi")},
    "electrons": {"e": ONE},
}
PARAMS = {"mass": ParameterConfig(train=[20.0, 40.0], test=30.0)}


def tasks() -> list[nn.Module]:
    return [
        ClassificationTask("jets_classification", "jets", "flavour_label"),
        ClassificationTask("track_origin", "tracks", "ftagTruthOriginLabel"),
    ]


def model(
    variables: dict[str, list[str]],
    encoder: nn.Module | None = None,
    streams: tuple[str, ...] = ("tracks",),
    **kw: object,
) -> Model:
    torch.manual_seed(0)
    return Model(
        [InitNetConfig(s, DenseConfig([8])) for s in streams],
        encoder or TransformerEncoder(8, 1, num_heads=2),
        GlobalAttentionPooling(),
        tasks(),  # type: ignore[arg-type]
        variables=variables,
        norm_dict=NORM,
        **kw,  # type: ignore[arg-type]
    )


def batch(with_params: bool = False) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    inputs = {
        "jets": torch.randn(B, 2),
        "GLOBAL": torch.randn(B, 2),
        "tracks": torch.cat([torch.rand(B, N, 1) * 1e4, torch.randn(B, N, 2)], dim=-1),
        "electrons": torch.randn(B, 3, 1),
    }
    if with_params:
        inputs["PARAMETERS"] = torch.tensor([[20.0], [40.0], [20.0], [40.0]])
    masks = {
        "tracks": torch.arange(N)[None] >= torch.tensor([3, 0, 6, 2])[:, None],
        "electrons": torch.arange(3)[None] >= torch.tensor([1, 0, 0, 3])[:, None],
    }
    return inputs, masks


TRACKS = ["pt", "eta", "phi"]


def test_global_features_go_to_the_pooled_representation() -> None:
    m = model({"jets": [], "GLOBAL": ["a", "b"], "tracks": TRACKS})
    jet_task, track_task = m.tasks
    assert m.init_nets["tracks"].global_size == 0
    assert jet_task.net.input_size == m.pool_net.out_features + 2
    assert track_task.net.context_size == m.pool_net.out_features + 2
    inputs, masks = batch()
    inputs["jets"] = torch.zeros(B, 0)  # the global object has no variables of its own here
    out, _ = m(inputs, masks)
    assert out["jets_classification"].shape == (B, 3)
    inputs["GLOBAL"] = inputs["GLOBAL"] + 1.0
    out2, _ = m(inputs, masks)
    assert not torch.allclose(out["jets_classification"], out2["jets_classification"])
    # default: the global object's variables are attached to every constituent instead
    m2 = model({"jets": ["a", "b"], "tracks": TRACKS})
    assert m2.init_nets["tracks"].global_size == 2
    assert m2.tasks[0].net.input_size == m2.pool_net.out_features


def test_parameters_are_concatenated_by_default() -> None:
    m = model({"jets": ["a", "b"], "PARAMETERS": ["mass"], "tracks": TRACKS}, parameters=PARAMS)
    assert m.init_nets["tracks"].global_size == 3
    torch.testing.assert_close(m.norms["PARAMETERS"].mean, torch.tensor([30.0]))
    inputs, masks = batch(with_params=True)
    out, _ = m(inputs, masks)
    inputs["PARAMETERS"] = inputs["PARAMETERS"] + 20.0
    out2, _ = m(inputs, masks)
    assert not torch.allclose(out["jets_classification"], out2["jets_classification"])
    with pytest.raises(ValueError, match=r"data.PARAMETERS configures \[\]"):
        model({"jets": ["a", "b"], "PARAMETERS": ["mass"], "tracks": TRACKS})


@pytest.mark.parametrize("layer", ["input", "encoder", "global"])
def test_featurewise_nets(layer: str) -> None:
    fw = FeaturewiseConfig(
        layer=layer, dense_config_scale=DenseConfig([4]), dense_config_bias=DenseConfig([4])
    )  # type: ignore[arg-type]
    m = model(
        {"jets": ["a", "b"], "PARAMETERS": ["mass"], "tracks": TRACKS},
        parameters=PARAMS,
        featurewise_nets=[fw],
    )
    assert m.init_nets["tracks"].global_size == 2  # parameters not concatenated with FiLM
    (net,) = m.featurewise.values()
    size = {"input": 3, "encoder": 8, "global": 8}[layer]
    assert net.scale.out_features == size
    with torch.no_grad():
        net.bias.net[-1].weight.fill_(0.3)
    inputs, masks = batch(with_params=True)
    out, _ = m(inputs, masks)
    inputs["PARAMETERS"] = inputs["PARAMETERS"] + 20.0
    out2, _ = m(inputs, masks)
    assert not torch.allclose(out["jets_classification"], out2["jets_classification"])
    bad = FeaturewiseConfig(layer=layer, dense_config_scale=DenseConfig(output_size=5))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=rf"featurewise_nets\[0\] \(layer={layer}.*output_size=5"):
        model(
            {"jets": ["a", "b"], "PARAMETERS": ["mass"], "tracks": TRACKS},
            parameters=PARAMS,
            featurewise_nets=[bad],
        )


def test_featurewise_needs_parameters() -> None:
    fw = FeaturewiseConfig(layer="global", dense_config_bias=DenseConfig())
    with pytest.raises(ValueError, match="featurewise_nets need parameters"):
        model({"jets": ["a", "b"], "tracks": TRACKS}, featurewise_nets=[fw])


def test_edge_features_through_the_model() -> None:
    enc = EdgeTransformerEncoder(8, 2, num_heads=2, edge_embed_dim=4, update_edges=True)
    m = model({"jets": ["a", "b"], "tracks": TRACKS}, encoder=enc, edge_features=EdgeFeaturesConfig("tracks"))
    inputs, masks = batch()
    out, _ = m(inputs, masks)
    assert torch.isfinite(out["jets_classification"]).all()
    inputs["tracks"][..., 1] = inputs["tracks"][..., 1] * 3.0  # changes dR between tracks
    out2, _ = m(inputs, masks)
    assert not torch.allclose(out["jets_classification"], out2["jets_classification"])
    with pytest.raises(ValueError, match="does not use edges"):
        model({"jets": ["a", "b"], "tracks": TRACKS}, edge_features=EdgeFeaturesConfig("tracks"))
    with pytest.raises(ValueError, match="Edge feature 'kt' needs the variable 'pt'"):
        Model(
            [InitNetConfig("electrons")],
            EdgeTransformerEncoder(8, 1, num_heads=2),
            GlobalAttentionPooling(),
            [ClassificationTask("j", "jets", "flavour_label")],
            variables={"jets": ["a", "b"], "electrons": ["e"]},
            norm_dict=NORM,
            edge_features=EdgeFeaturesConfig("electrons", ["kt"]),
        )


def test_two_streams_concatenated_or_cross_attention() -> None:
    variables = {"jets": ["a", "b"], "tracks": TRACKS, "electrons": ["e"]}
    inputs, masks = batch()
    concat = model(variables, streams=("tracks", "electrons"))
    out, _ = concat(inputs, masks)
    assert out["track_origin"].shape == (B, N, 8)
    ca = TransformerCrossAttentionEncoder(["tracks", "electrons"], 8, 2, num_heads=2, ca_every_layer=True)
    m = model(variables, encoder=ca, streams=("tracks", "electrons"))
    out, _ = m(inputs, masks)
    assert out["track_origin"].shape == (B, N, 8)
    inputs["electrons"] = inputs["electrons"] + 5.0  # electrons reach the tracks through cross-attention
    out2, _ = m(inputs, masks)
    has_el = ~masks["electrons"].all(1)
    assert not torch.allclose(out["track_origin"][has_el], out2["track_origin"][has_el])
    bad = TransformerCrossAttentionEncoder(["tracks", "muons"], 8, 1, num_heads=2)
    with pytest.raises(ValueError, match=r"input_names \['tracks', 'muons'\] must be exactly the streams"):
        model(variables, encoder=bad, streams=("tracks", "electrons"))
