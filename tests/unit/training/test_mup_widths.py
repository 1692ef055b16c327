"""salt's mup_config as a MupConfig, and configs at another muP width (embed_dim, num_heads)."""

from __future__ import annotations

import pytest

from halite.training.mup import MupConfig
from halite.training.mup_widths import from_salt, resolve, scaled_config

SALT = {
    "shape_path": "./shape_mup",
    "embed_dim": {
        "apply_to": ["init_nets", "encoder"],
        "parameter_name": ["output_size", "embed_dim"],
        "parameter_base": 16,
        "parameter_delta": 8,
    },
}


def config(output_size: int | None = 32) -> dict:
    dense = {"hidden_layers": [16]} | ({"output_size": output_size} if output_size else {})
    return {
        "model": {
            "model": {
                "init_args": {
                    "init_nets": [{"input_name": "tracks", "dense_config": dense}],
                    "encoder": {
                        "class_path": "E",
                        "init_args": {"embed_dim": 32, "num_heads": 4, "out_dim": 8},
                    },
                }
            }
        }
    }


def test_from_salt_lists_folder_and_defaults() -> None:
    mup = from_salt(SALT)
    assert mup == MupConfig(
        "shape_mup/storeshapes",
        16,
        8,
        apply_to=["init_nets", "encoder"],
        parameter_name=["output_size", "embed_dim"],
    )
    assert mup is not None and mup.readout_block == "encoder" and not mup.scales_heads
    no_path = {k: v for k, v in SALT.items() if k != "shape_path"}
    assert from_salt(no_path, "mup_config").shape_path == "temp_mup/storeshapes"  # type: ignore[union-attr]
    assert from_salt(no_path, "muP_config").shape_path == "temp_muP/storeshapes"  # type: ignore[union-attr]
    assert from_salt({}) is None  # salt's base/delta configs carry an empty block


def test_salt_form_errors() -> None:
    with pytest.raises(ValueError, match="needs exactly one scaled width"):
        from_salt({**SALT, "num_heads": SALT["embed_dim"]})
    with pytest.raises(ValueError, match=r"model.mup_config.embed_dim needs the keys"):
        from_salt({"embed_dim": {"apply_to": ["encoder"]}})
    with pytest.raises(ValueError, match="one parameter name per block"):
        MupConfig("s", 8, 16, apply_to=["init_nets", "encoder"], parameter_name=["embed_dim"])
    with pytest.raises(ValueError, match="keep one"):
        resolve(MupConfig("s", 8, 16), SALT, None)
    assert resolve(None, None, SALT) == from_salt(SALT, "muP_config")


def test_scaled_config_embed_dim() -> None:
    mup = from_salt(SALT)
    assert mup is not None
    out = scaled_config(config(), mup, 16)
    args = out["model"]["model"]["init_args"]
    assert (
        args["encoder"]["init_args"]["embed_dim"] == 16
        and args["init_nets"][0]["dense_config"]["output_size"] == 16
    )
    assert config()["model"]["model"]["init_args"]["encoder"]["init_args"]["embed_dim"] == 32  # a copy
    # halite's init nets take the encoder width when output_size is not written
    assert (
        "output_size"
        not in scaled_config(config(None), mup, 16)["model"]["model"]["init_args"]["init_nets"][0][
            "dense_config"
        ]
    )
    with pytest.raises(ValueError, match="'embed_di' is not a key of model.model.init_args.encoder"):
        scaled_config(config(), MupConfig("s", 8, 16, parameter_name="embed_di"), 8)
    with pytest.raises(ValueError, match="'pool_net', which is not a key"):
        scaled_config(config(), MupConfig("s", 8, 16, apply_to="pool_net"), 8)


def test_scaled_config_num_heads_keeps_the_head_width() -> None:
    mup = MupConfig("s", 2, 8, apply_to="encoder", parameter_name="num_heads")
    assert mup.scales_heads
    args = scaled_config(config(), mup, 2)["model"]["model"]["init_args"]
    assert args["encoder"]["init_args"] == {
        "embed_dim": 16,
        "num_heads": 2,
        "out_dim": 8,
    }  # head width 32/4 = 8
    assert args["init_nets"][0]["dense_config"]["output_size"] == 16
