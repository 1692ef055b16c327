"""translate() of salt's encoders, attention and poolings: one test per key (split from test_salt.py)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from halite.compat import SaltConfigError, translate
from tests.unit.compat.test_salt import encoder_args, model_args, salt_config, with_encoder


def test_transformer_arguments_keep_their_salt_meaning() -> None:
    out, notes = translate(salt_config())
    assert encoder_args(out) == {
        "embed_dim": 16, "num_layers": 2, "out_dim": 8, "activation": "ReLU", "hidden_dim_scale": 2,
        "num_heads": 4, "dropout": 0.0, "final_norm_at": "output", "num_registers": 1,
        "drop_registers": False, "norm_affine": False,
    }  # fmt: skip
    assert any("attn_type 'flash-varlen'" in n for n in notes)
    assert encoder_args(translate(with_encoder(do_final_norm=False))[0])["final_norm_at"] == "none"
    assert any("num_registers 1" in n and "pools the register tokens" in n for n in notes)
    dropped = encoder_args(translate(with_encoder(num_registers=8, drop_registers=True))[0])
    assert dropped["num_registers"] == 8 and dropped["drop_registers"] is True


def test_rmsnorm_and_gated_feed_forward() -> None:
    c = with_encoder(norm="RMSNorm", dense_kwargs={"activation": "SiLU", "gated": True})
    args = encoder_args(translate(c)[0])
    assert args["norm"] == "RMSNorm" and args["gated"] is True
    assert "norm_affine" not in args  # salt's RMSNorm has a learned scale, as halite's


def test_salt_layernorm_has_no_learned_scale_or_bias() -> None:
    """salt's LayerNorm is elementwise_affine=False: the translated encoder has no norm parameters."""
    from halite.nn import TransformerEncoder

    out, notes = translate(salt_config())
    args = encoder_args(out)
    assert args["norm_affine"] is False
    assert any("norm_affine false" in n for n in notes)
    enc = TransformerEncoder(**args)
    norms = [m for m in enc.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert len(norms) == 2 * args["num_layers"] + 1
    assert all(m.weight is None and m.bias is None for m in norms)
    assert sum(p.numel() for m in norms for p in m.parameters()) == 0
    native = TransformerEncoder(**{**args, "norm_affine": True})
    extra = sum(p.numel() for p in native.parameters()) - sum(p.numel() for p in enc.parameters())
    assert extra == 2 * (2 * args["num_layers"] * args["embed_dim"] + args["out_dim"])


def test_salt_attention_defaults_to_one_head() -> None:
    c = with_encoder(attn_kwargs={})
    assert encoder_args(translate(c)[0])["num_heads"] == 1


def test_dense_kwargs_hidden_dim_becomes_a_scale() -> None:
    c = with_encoder(dense_kwargs={"activation": "SiLU", "hidden_dim": 48})
    assert encoder_args(translate(c)[0])["hidden_dim_scale"] == 3
    with pytest.raises(SaltConfigError, match="dense_kwargs.hidden_dim"):
        translate(with_encoder(dense_kwargs={"hidden_dim": 20}))


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("norm", "BatchNorm", "encoder.norm"),
        ("num_registers", 0, "num_registers"),
        ("dense_kwargs", {"bias": False}, "dense_kwargs.bias"),
        ("attn_kwargs", {"num_heads": 2, "do_qk_norm": True}, "do_qk_norm"),
        ("norm_type", "none", "norm_type"),
        ("ls_init", 1e-3, "ls_init"),
        ("edge_embed_dim", 4, "edge_embed_dim"),
        ("nonsense", 1, "nonsense"),
    ],
)
def test_transformer_keys_halite_cannot_honour_raise_naming_the_key(key: str, value: Any, match: str) -> None:
    with pytest.raises(SaltConfigError, match=match):
        translate(with_encoder(**{key: value}))


def test_no_encoder_is_deep_sets_and_no_pooling_raises() -> None:
    c = salt_config()
    del model_args(c)["encoder"]
    model_args(c)["pool_net"]["init_args"]["input_size"] = 16
    out, notes = translate(c)
    assert model_args(out)["encoder"] == {
        "class_path": "halite.nn.IdentityEncoder",
        "init_args": {"embed_dim": 16},
    }
    assert any("deep sets" in n for n in notes)
    del model_args(c)["pool_net"]
    with pytest.raises(SaltConfigError, match="pool_net"):
        translate(c)


def test_pooling_input_size_is_checked_against_the_encoder() -> None:
    c = salt_config()
    model_args(c)["pool_net"]["init_args"]["input_size"] = 16
    with pytest.raises(SaltConfigError, match="pool_net.input_size"):
        translate(c)


def test_cross_attention_pooling_mha_and_dense_config() -> None:
    c = salt_config()
    model_args(c)["pool_net"] = {
        "class_path": "salt.models.CrossAttentionPooling",
        "init_args": {"input_size": 8, "num_layers": 1, "mha_config": {"num_heads": 2},
                      "dense_config": {"activation": "SiLU", "hidden_layers": [16]}},
    }  # fmt: skip
    pool = model_args(translate(c)[0])["pool_net"]
    assert pool == {
        "class_path": "halite.nn.CrossAttentionPooling",
        "init_args": {
            "num_layers": 1,
            "num_heads": 2,
            "activation": "SiLU",
            "dropout": 0.0,
            "hidden_dim_scale": 2,
        },
    }


def test_legacy_encoder_with_gatv2_attention_and_gnn_block() -> None:
    c = salt_config()
    model_args(c)["encoder"] = {
        "class_path": "salt.models.TransformerEncoder",
        "init_args": {"embed_dim": 16, "num_layers": 1, "out_dim": 8,
                      "mha_config": {"num_heads": 2, "attention": {"class_path": "salt.models.GATv2Attention"}},
                      "dense_config": {"activation": "SiLU"}},
    }  # fmt: skip
    enc = model_args(translate(c)[0])["encoder"]
    assert enc["class_path"] == "halite.nn.TransformerEncoder"
    assert enc["init_args"]["attention"] == {
        "class_path": "halite.nn.GATv2Attention",
        "init_args": {"num_heads": 2},
    }
    model_args(c)["encoder"]["init_args"]["mha_config"] = {"num_heads": 2, "gnn": {"head_dim": 4}}
    enc = model_args(translate(c)[0])["encoder"]
    assert enc["init_args"]["attention"]["init_args"] == {"head_dim": 4, "num_heads": 2}
    model_args(c)["encoder"]["init_args"]["mha_config"] = {"gnn": {"activation": "ReLU"}}
    with pytest.raises(SaltConfigError, match="LeakyReLU"):
        translate(c)


def test_cross_attention_encoder_sa_dense_config() -> None:
    c = salt_config()
    model_args(c)["encoder"] = {
        "class_path": "salt.models.TransformerCrossAttentionEncoder",
        "init_args": {"input_names": ["tracks", "electrons"], "embed_dim": 16, "num_layers": 1, "out_dim": 8,
                      "mha_config": {"num_heads": 2}, "sa_dense_config": {"activation": "SiLU"}},
    }  # fmt: skip
    enc = model_args(translate(c)[0])["encoder"]["init_args"]
    assert enc["input_names"] == ["tracks", "electrons"] and enc["activation"] == "SiLU"
    assert enc["ca_every_layer"] is False
