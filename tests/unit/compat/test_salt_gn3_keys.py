"""halite.compat.salt: the keys salt 0.13's GN3 configs use (GN3v01/GN3V00.yaml, GN3V01.yaml)."""

from __future__ import annotations

import copy

import pytest

from halite.compat import SaltConfigError, translate
from tests.unit.compat.test_salt import encoder_args, model_args, salt_config, with_encoder


def test_selections_null_is_dropped_and_cuts_are_refused() -> None:
    c = salt_config()
    c["data"]["selections"] = None
    out, notes = translate(c)
    assert "selections" not in out["data"]
    assert any("data.selections: null" in n for n in notes)
    c["data"]["selections"] = {"tracks": ["d0 < 3.5"]}
    with pytest.raises(SaltConfigError, match="data.selections") as err:
        translate(c)
    assert "halite prep" in str(err.value)


def test_global_input_map_entry_reads_the_global_object() -> None:
    c = salt_config()
    c["data"]["input_map"] = {"global": "global", "jets": "jets", "tracks": "tracks_ghost"}
    c["data"]["variables"]["global"] = ["pt", "eta"]
    out, notes = translate(c)
    assert out["data"]["input_map"] == {"jets": "jets", "tracks": "tracks_ghost"}
    assert out["data"]["variables"]["GLOBAL"] == ["pt", "eta"]
    assert any("data.input_map.global" in n for n in notes)


@pytest.mark.parametrize("norm_type", ["post", "hybrid"])
def test_norm_type_is_the_encoders(norm_type: str) -> None:
    out, notes = translate(with_encoder(norm_type=norm_type))
    assert encoder_args(out)["norm_type"] == norm_type
    assert any(f"norm_type {norm_type}" in n for n in notes)
    assert "norm_type" not in encoder_args(translate(with_encoder(norm_type="pre"))[0])


def test_hybrid_implies_salts_qk_and_v_norm() -> None:
    attn = {"num_heads": 4, "do_qk_norm": True, "do_v_norm": True}
    assert (
        encoder_args(translate(with_encoder(norm_type="hybrid", attn_kwargs=attn))[0])["norm_type"]
        == "hybrid"
    )
    with pytest.raises(SaltConfigError, match="do_qk_norm"):
        translate(with_encoder(attn_kwargs=attn))


def test_optimizer_loss_mode_and_weight_decay() -> None:
    c = salt_config()
    c["model"].update(optimizer="lion", loss_mode="GLS")
    c["model"]["lrs_config"] = {
        "initial": "2e-8",
        "max": 1e-4,
        "end": 2e-6,
        "pct_start": 0.01,
        "weight_decay": "1e-5",
    }
    out, notes = translate(c)
    assert out["model"]["optimizer"] == "lion" and out["model"]["loss_mode"] == "GLS"
    assert out["model"]["lrs_config"] == {"initial": 2e-8, "max": 1e-4, "end": 2e-6, "pct_start": 0.01,
                                          "weight_decay": 1e-5}  # fmt: skip
    assert any("optimizer lion" in n for n in notes) and any("loss_mode GLS" in n for n in notes)
    default, _ = translate(salt_config())
    assert "optimizer" not in default["model"] and "loss_mode" not in default["model"]
    for key, value in (("optimizer", "SGD"), ("loss_mode", "mean")):
        bad = copy.deepcopy(c)
        bad["model"][key] = value
        with pytest.raises(SaltConfigError, match=f"model.{key}"):
            translate(bad)


def test_label_map_keeps_unmapped_class_indices_as_salt() -> None:
    c = salt_config()
    task = model_args(c)["tasks"]["init_args"]["modules"][0]["init_args"]
    task.update(label_map={-2: 2, -3: 3, 5: 4, -5: 4}, class_names=["a", "b", "c", "d", "e"])
    out, notes = translate(c)
    label_map = model_args(out)["tasks"][0]["init_args"]["label_map"]
    # salt leaves 0, 1, 2, 3 unchanged (not keys) and maps 5 -> 4
    assert label_map == {-2: 2, -3: 3, 5: 4, -5: 4, 0: 0, 1: 1, 2: 2, 3: 3, 4: 4}
    assert any("raw values [0, 1, 2, 3, 4]" in n for n in notes)
