"""translate() of salt's model forms: global object only (DL1) and featurewise nets with parameters."""

from __future__ import annotations

import pytest

from halite.compat import SaltConfigError, translate
from tests.unit.compat.test_salt import model_args, salt_config


def dl1_config(**init_net: object) -> dict:
    net = {"input_name": "jets", "attach_global": False,
           "dense_config": {"input_size": 2, "hidden_layers": [16], "output_size": 8, "activation": "Mish"}}  # fmt: skip
    net.update(init_net)
    c = salt_config(init_nets=[net])
    del model_args(c)["encoder"], model_args(c)["pool_net"]
    return c


def test_global_object_only_is_a_model_without_encoder_and_pooling() -> None:
    out, notes = translate(dl1_config())
    model = out["model"]["model"]
    assert model["class_path"] == "halite.models.Model"
    assert set(model["init_args"]) == {"init_nets", "tasks"}
    (net,) = model["init_args"]["init_nets"]
    assert net == {"input_name": "jets", "attach_global": False,
                   "dense_config": {"hidden_layers": [16], "output_size": 8, "activation": "Mish"}}  # fmt: skip
    assert any("global object only, DL1-style" in n for n in notes)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"attach_global": True}, "init_nets.0..attach_global"),
        ({"input_name": "tracks"}, "exactly one init net, on the global object"),
    ],
)
def test_global_object_only_keeps_salts_checks(change: dict, match: str) -> None:
    with pytest.raises(SaltConfigError, match=match):
        translate(dl1_config(**change))


def test_global_object_only_refuses_an_encoder_without_pooling_and_featurewise_nets() -> None:
    c = salt_config()
    del model_args(c)["pool_net"]
    with pytest.raises(SaltConfigError, match="pool_net.*with an encoder"):
        translate(c)
    c = dl1_config()
    model_args(c)["featurewise_nets"] = [{"layer": "global", "dense_config_bias": {"output_size": 8}}]
    with pytest.raises(SaltConfigError, match="featurewise_nets"):
        translate(c)


def test_featurewise_without_input_layer_and_parameters_is_refused() -> None:
    """salt then also concatenates the parameters to the init-net inputs, which halite does not do with FiLM."""
    fw = [{"layer": "global", "dense_config_bias": {"hidden_layers": [4], "output_size": 8}}]
    c = salt_config(featurewise_nets=fw)
    c["data"]["variables"]["parameters"] = ["mass"]
    with pytest.raises(SaltConfigError, match="concatenates the parameters"):
        translate(c)
    fw.append({"layer": "input", "dense_config_bias": {"hidden_layers": [4], "output_size": 5}})
    assert [f["layer"] for f in model_args(translate(c)[0])["featurewise_nets"]] == [
        "encoder",
        "input_with_global",
    ]


def test_featurewise_layer_encoder_needs_an_encoder() -> None:
    c = salt_config(featurewise_nets=[{"layer": "encoder", "dense_config_bias": {"output_size": 16}}])
    del model_args(c)["encoder"]
    model_args(c)["pool_net"]["init_args"]["input_size"] = 16
    with pytest.raises(SaltConfigError, match="no encoder"):
        translate(c)
