"""halite.compat.salt: one test per translated salt key, and the keys that raise."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from halite.compat import SaltConfigError, apply_salt_defaults, is_salt_config, translate


def salt_config(**model_args: Any) -> dict[str, Any]:
    """A minimal salt 0.13 GN2-like config (salt's keys and class paths)."""
    init = {
        "init_nets": [{"input_name": "tracks", "dense_config": {"output_size": 16, "hidden_layers": [16]}}],
        "encoder": {
            "class_path": "salt.models.Transformer",
            "init_args": {
                "num_layers": 2,
                "embed_dim": 16,
                "out_dim": 8,
                "attn_type": "flash-varlen",
                "norm": "LayerNorm",
                "do_final_norm": True,
                "dense_kwargs": {"activation": "ReLU", "gated": False},
                "attn_kwargs": {"num_heads": 4},
            },
        },
        "pool_net": {"class_path": "salt.models.GlobalAttentionPooling", "init_args": {"input_size": 8}},
        "tasks": {
            "class_path": "torch.nn.ModuleList",
            "init_args": {
                "modules": [
                    {
                        "class_path": "salt.models.ClassificationTask",
                        "init_args": {
                            "name": "jets_classification",
                            "input_name": "jets",
                            "label": "flavour_label",
                            "loss": {"class_path": "torch.nn.CrossEntropyLoss"},
                            "dense_config": {"input_size": 8, "output_size": 3, "hidden_layers": [8]},
                        },
                    }
                ]
            },
        },
    }
    init.update(model_args)
    return {
        "name": "GN2",
        "model": {"model": {"class_path": "salt.models.SaltModel", "init_args": init}},
        "data": {"variables": {"jets": ["pt", "eta"], "tracks": ["d0", "z0", "dphi"]}},
    }


def model_args(config: dict[str, Any]) -> dict[str, Any]:
    return config["model"]["model"]["init_args"]


def encoder_args(config: dict[str, Any]) -> dict[str, Any]:
    return model_args(config)["encoder"]["init_args"]


def with_encoder(**changes: Any) -> dict[str, Any]:
    c = salt_config()
    encoder_args(c).update(changes)
    return c


def test_class_paths_map_to_halite() -> None:
    out, _ = translate(salt_config())
    m = out["model"]["model"]
    assert m["class_path"] == "halite.models.Model"
    assert model_args(out)["encoder"]["class_path"] == "halite.nn.TransformerEncoder"
    assert model_args(out)["pool_net"] == {"class_path": "halite.nn.GlobalAttentionPooling"}
    assert model_args(out)["tasks"][0]["class_path"] == "halite.tasks.ClassificationTask"
    assert not is_salt_config(out) and is_salt_config(salt_config())


def test_dense_config_sizes_are_halites_and_default_hidden_layer_is_written_out() -> None:
    c = salt_config()
    model_args(c)["init_nets"][0]["dense_config"] = {"output_size": 16, "hidden_dim_scale": 3}
    out, notes = translate(c)
    net = model_args(out)["init_nets"][0]
    # salt: one hidden layer of input_size * hidden_dim_scale; input = 3 track + 2 jet variables
    assert net["dense_config"] == {"output_size": 16, "hidden_layers": [15]}
    assert net["attach_global"] is True
    head = model_args(out)["tasks"][0]["init_args"]["dense_config"]
    assert "input_size" not in head and head["output_size"] == 3
    assert any("hidden_layers [15]" in n for n in notes)


def test_dense_config_final_activation_and_bias() -> None:
    c = salt_config()
    model_args(c)["init_nets"][0]["dense_config"]["final_activation"] = "Sigmoid"
    assert model_args(translate(c)[0])["init_nets"][0]["dense_config"]["final_activation"] == "Sigmoid"
    model_args(c)["init_nets"][0]["dense_config"]["bias"] = False
    with pytest.raises(SaltConfigError, match="dense_config.bias"):
        translate(c)


def test_init_net_width_must_match_the_encoder() -> None:
    c = salt_config()
    model_args(c)["init_nets"][0]["dense_config"]["output_size"] = 32
    with pytest.raises(SaltConfigError, match="output_size"):
        translate(c)


@pytest.mark.parametrize("loss", ["torch.nn.CrossEntropyLoss", "CrossEntropyLoss",
                                  {"class_path": "torch.nn.CrossEntropyLoss", "init_args": {"reduction": "mean"}}])  # fmt: skip
def test_losses_with_salts_default_reduction_become_unreduced(loss: Any) -> None:
    c = salt_config()
    model_args(c)["tasks"]["init_args"]["modules"][0]["init_args"]["loss"] = loss
    out, notes = translate(c)
    assert model_args(out)["tasks"][0]["init_args"]["loss"] == {
        "class_path": "torch.nn.CrossEntropyLoss",
        "init_args": {"reduction": "none"},
    }
    assert any("reduction 'mean' -> 'none'" in n for n in notes)


def test_task_lists_may_be_plain_lists_and_unknown_tasks_raise() -> None:
    c = salt_config()
    model_args(c)["tasks"] = model_args(c)["tasks"]["init_args"]["modules"]
    assert len(model_args(translate(c)[0])["tasks"]) == 1
    model_args(c)["tasks"][0]["class_path"] = "salt.models.MaskFormerTask"
    with pytest.raises(SaltConfigError, match="has no halite task"):
        translate(c)


def test_regression_task_scaler_and_scalar_norm_params() -> None:
    c = salt_config()
    model_args(c)["tasks"]["init_args"]["modules"] = [
        {
            "class_path": "salt.models.RegressionTask",
            "init_args": {
                "name": "pt",
                "input_name": "jets",
                "targets": "pt",
                "norm_params": {"mean": 1.0, "std": 2.0},
                "scaler": {
                    "class_path": "salt.utils.scalers.RegressionTargetScaler",
                    "init_args": {"scales": {}},
                },
                "loss": "MSELoss",
                "dense_config": {"input_size": 8, "output_size": 1},
            },
        }
    ]
    out, _ = translate(c)
    task = model_args(out)["tasks"][0]
    assert task["class_path"] == "halite.tasks.RegressionTask"
    assert task["init_args"]["norm_params"] == {"mean": [1.0], "std": [2.0]}
    assert task["init_args"]["scaler"]["class_path"] == "halite.tasks.RegressionTargetScaler"
    assert task["init_args"]["loss"]["class_path"] == "torch.nn.MSELoss"
    # salt's default hidden layer: input_size 8 * hidden_dim_scale 2
    assert task["init_args"]["dense_config"]["hidden_layers"] == [16]


def test_featurewise_nets_dense_configs_translated() -> None:
    fw = [{"layer": "global", "apply_norm": True,
           "dense_config_scale": {"input_size": 1, "hidden_layers": [4], "output_size": 8}}]  # fmt: skip
    out, _ = translate(salt_config(featurewise_nets=fw))
    # salt's `global` transforms the encoder output before the pooling: halite's `encoder`, salt's form
    assert model_args(out)["featurewise_nets"] == [
        {
            "layer": "encoder",
            "apply_norm": True,
            "dense_config_scale": {"hidden_layers": [4], "output_size": 8},
            "form": "salt",
        }
    ]
    fw[0]["layer"] = "nonsense"
    with pytest.raises(SaltConfigError, match="featurewise_nets.0..layer"):
        translate(salt_config(featurewise_nets=fw))


def test_global_and_parameters_streams_take_halites_names() -> None:
    c = salt_config()
    c["data"]["variables"]["global"] = ["softMuon_pt"]
    c["data"]["variables"]["parameters"] = ["mass"]
    c["data"]["parameters"] = {"mass": {"train": [5, 40], "test": 16}}
    out, _ = translate(c)
    assert out["data"]["variables"]["GLOBAL"] == ["softMuon_pt"]
    assert out["data"]["variables"]["PARAMETERS"] == ["mass"]
    assert out["data"]["PARAMETERS"] == {"mass": {"train": [5, 40], "test": 16}}


def test_data_keys_dropped_translated_or_refused() -> None:
    c = salt_config()
    c["data"].update(persistent_workers=True, prefetch_factor=2, non_finite_to_num=True, num_workers=4)
    out, notes = translate(c)
    assert "persistent_workers" not in out["data"] and out["data"]["num_workers"] == 4
    assert out["data"]["non_finite"] == "zero"
    assert any("prefetch_factor" in n for n in notes)
    c["data"]["labeller_config"] = {"use_labeller": True}
    with pytest.raises(SaltConfigError, match="labeller_config"):
        translate(c)
    c["data"].pop("labeller_config")
    c["data"]["unknown_key"] = 1
    with pytest.raises(SaltConfigError, match="data.unknown_key"):
        translate(c)


def test_data_multi_target_passes_through() -> None:
    c = salt_config()
    entry = {"input_name": "jets", "sel_label": "HadronConeExclTruthLabelID", "opp": "==", "value": 15,
             "custom_target": "pt_label_handle", "source": "HadronConeExclTruthLabelPt"}  # fmt: skip
    c["data"]["multi_target"] = [entry]
    out, _ = translate(c)
    assert out["data"]["multi_target"] == [entry]  # halite's JetDataModule(multi_target=...)


def test_s3_keys_pass_through_unchanged() -> None:
    c = salt_config()
    c["data"].update(use_S3=True, bucket="b", url="http://x", download_path="/tmp/x")
    out, _ = translate(c)
    assert out["data"]["use_S3"] is True and out["data"]["bucket"] == "b"


def test_model_wrapper_keys() -> None:
    c = salt_config()
    c["model"]["lrs_config"] = {
        "initial": "1e-7",
        "max": 5e-4,
        "end": 1e-5,
        "pct_start": 0.1,
        "last_epoch": -1,
    }
    out, _ = translate(c)
    assert out["model"]["lrs_config"] == {"initial": 1e-7, "max": 5e-4, "end": 1e-5, "pct_start": 0.1}
    for key, value in (("loss_mode", "mean"), ("optimizer", "HybridMuonAdamW")):
        bad = copy.deepcopy(c)
        bad["model"][key] = value
        with pytest.raises(SaltConfigError, match=f"model.{key}"):
            translate(bad)
    for key in ("muP_config", "mup_config"):  # each spelling kept: it picks the default folder
        mup = copy.deepcopy(c)
        mup["model"][key] = {"embed_dim": {"apply_to": ["encoder"]}}
        out = translate(mup)[0]["model"]
        assert out[key] == {"embed_dim": {"apply_to": ["encoder"]}}
        other = "mup_config" if key == "muP_config" else "muP_config"
        assert other not in out


def test_base_yaml_callbacks_and_comet_logger() -> None:
    out, notes = translate(apply_salt_defaults(salt_config()))
    trainer = out["trainer"]
    assert "logger" not in trainer
    assert [cb["class_path"] for cb in trainer["callbacks"]] == [
        "halite.training.callbacks.prediction_writer.PredictionWriter",
        "lightning.pytorch.callbacks.LearningRateMonitor",
        "lightning.pytorch.callbacks.TQDMProgressBar",
        "lightning.pytorch.callbacks.ModelSummary",
    ]
    assert any("CometLogger without a Comet account" in n for n in notes)
    kept, _ = translate(apply_salt_defaults(salt_config()), comet_account=True)
    assert "Comet" in kept["trainer"]["logger"]["class_path"]


def test_prediction_and_performance_writers() -> None:
    c = salt_config()
    c["trainer"] = {"callbacks": [
        {"class_path": "salt.callbacks.PredictionWriter", "init_args": {"write_tracks": True}},
        {"class_path": "salt.callbacks.PerformanceWriter", "init_args": {"stdOut": True, "add_metrics": ["a"]}},
    ]}  # fmt: skip
    out, _ = translate(c)
    assert "write_tracks" not in out  # the writer's own argument, as in salt
    assert out["trainer"]["callbacks"] == [
        {"class_path": "halite.training.callbacks.prediction_writer.PredictionWriter",
         "init_args": {"write_tracks": True, "beside_checkpoint": True}},
        {"class_path": "halite.training.callbacks.performance_writer.PerformanceWriter",
         "init_args": {"add_metrics": ["a"], "stdout": True}},
    ]  # fmt: skip
    c["trainer"]["callbacks"] = [{"class_path": "salt.callbacks.GradientLogger"}]
    with pytest.raises(SaltConfigError, match="GradientLogger"):
        translate(c)


def test_unknown_top_level_key_and_salt_cli_only_keys() -> None:
    c = salt_config()
    c["force"] = True
    out, notes = translate(c)
    assert "force" not in out and any(n.startswith("force") for n in notes)
    c["bogus"] = 1
    with pytest.raises(SaltConfigError, match="<top>.bogus"):
        translate(c)


def test_translate_is_pure() -> None:
    c = apply_salt_defaults(salt_config())
    before = copy.deepcopy(c)
    assert translate(c) == translate(c)
    assert c == before


def test_featurewise_layers_take_salts_meaning() -> None:
    """salt's input: after the global variables are attached; encoder: before every block."""
    fw = [{"layer": "input", "dense_config_scale": {"hidden_layers": [4], "output_size": 5}},
          {"layer": "encoder", "dense_config_bias": {"hidden_layers": [4], "output_size": 16}}]  # fmt: skip
    out, notes = translate(salt_config(featurewise_nets=fw))
    assert [f["layer"] for f in model_args(out)["featurewise_nets"]] == [
        "input_with_global",
        "encoder_layers",
    ]
    assert any(
        "layer encoder: halite's layer encoder_layers (the input of every encoder block" in n for n in notes
    )
