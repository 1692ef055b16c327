"""halite.compat.salt_encoder: salt encoders, attention and poolings as functions."""

from __future__ import annotations

import pytest

from halite.compat.salt_encoder import encoder, pooling
from halite.compat.salt_model import SaltConfigError


def test_transformer_width_and_notes() -> None:
    notes: list[str] = []
    node = {"class_path": "salt.models.TransformerV2", "init_args": {"num_layers": 1, "embed_dim": 8}}
    enc, width = encoder(node, "e", notes)
    assert width == 8 and enc["init_args"]["num_heads"] == 1 and enc["init_args"]["activation"] == "SiLU"
    assert any("attn_type 'torch-math'" in n for n in notes)


def test_unknown_encoder_and_pooling_raise() -> None:
    with pytest.raises(SaltConfigError, match="has no halite encoder"):
        encoder({"class_path": "salt.models.MaskDecoder"}, "e", [])
    with pytest.raises(SaltConfigError, match="has no halite pooling"):
        pooling({"class_path": "salt.models.NodeQueryGAP", "init_args": {"input_size": 4}}, "p", [], 4)


def test_global_attention_pooling_width_check() -> None:
    assert pooling({"class_path": "salt.models.GlobalAttentionPooling"}, "p", [], 4) == {
        "class_path": "halite.nn.GlobalAttentionPooling"
    }
    with pytest.raises(SaltConfigError, match="differs from the encoder output width 4"):
        pooling(
            {"class_path": "salt.models.GlobalAttentionPooling", "init_args": {"input_size": 5}}, "p", [], 4
        )


def test_legacy_block_dense_config_needs_one_hidden_layer() -> None:
    node = {"class_path": "salt.models.TransformerEncoder",
            "init_args": {"embed_dim": 8, "num_layers": 1, "dense_config": {"hidden_layers": [16, 16]}}}  # fmt: skip
    with pytest.raises(SaltConfigError, match="one hidden layer"):
        encoder(node, "e", [])
