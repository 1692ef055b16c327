"""State-dict keys of the shared blocks are those saved before the MLP / pre-norm unification.

The expected keys were read from checkpoints' layouts before issue 15 (Dense's flat ``net`` indices,
the point backbones' ``attn`` / ``mlp.net.{0,2,4}``, the set encoders' ``attention`` / ``dense.net``),
so an old checkpoint still loads strictly. The lumin blocks' keys are lumin 0.9.1's, pinned in
tests/unit/nn/lumin/.
"""

from __future__ import annotations

import torch
from torch import nn

from halite.nn.layers.dense import Dense
from halite.nn.layers.prenorm import ClassAttentionBlock, PreNormBlock
from halite.nn.point.cond_mlp import CondOnlyMLP
from halite.nn.point.part import _mlp
from halite.nn.sets.transformer import TransformerEncoder


def keys(module: nn.Module) -> list[str]:
    return list(module.state_dict())


def wb(*names: str) -> list[str]:
    return [f"{n}.{p}" for n in names for p in ("weight", "bias")]


BN = ("running_mean", "running_var", "num_batches_tracked")


def test_dense_keeps_its_flat_indices() -> None:
    dense = Dense(8, 3, [16, 4], "SiLU", "Sigmoid", dropout=0.2, norm_layer="LayerNorm")
    assert keys(dense) == wb("net.0", "net.1", "net.4", "net.5", "net.8")
    assert keys(Dense(8, 3, [16], "ReLU", dropout=0.1)) == wb("net.0", "net.3")


def test_point_block_keys_attn_and_fixed_mlp_slots() -> None:
    attn = wb("attn.q_proj", "attn.kv_proj", "attn.out_proj")
    plain = PreNormBlock.point(8, 2, 4.0, 0.1)
    assert keys(plain) == wb("norm1") + attn + wb("norm2", "mlp.net.0", "mlp.net.4")
    normformer = PreNormBlock.point(8, 2, 4.0, normformer=True)
    assert keys(normformer) == (
        wb("norm1") + attn + wb("post_attn_norm", "norm2", "mlp.net.0", "mlp.net.2", "mlp.net.4")
    )
    assert keys(ClassAttentionBlock(8, 2)) == wb("norm1") + attn + wb("norm2", "mlp.net.0", "mlp.net.4")
    assert isinstance(plain.attention, nn.Module) and plain.attention is plain.attn


def test_set_encoder_block_keys_attention_and_dense() -> None:
    enc = TransformerEncoder(8, 1, 2, dropout=0.1, out_dim=6)
    attn = wb("attention.q_proj", "attention.kv_proj", "attention.out_proj")
    block = ["layers.0." + k for k in wb("norm1") + attn + wb("norm2", "dense.net.0", "dense.net.3")]
    assert keys(enc) == block + wb("final_norm", "out_proj")


def test_point_mlps_keep_their_indices() -> None:
    assert keys(_mlp([8, 16, 4], True)) == wb("0", "1", "3", "4")
    assert keys(_mlp([8, 16, 4], False)) == wb("0", "2")
    cond = CondOnlyMLP(8, 1)
    assert [k for k in keys(cond) if k.startswith("mlps")] == wb("mlps.0.0", "mlps.0.3")


def test_a_state_dict_saved_by_the_old_layout_loads_strictly() -> None:
    torch.manual_seed(0)
    block = PreNormBlock.point(8, 2, 4.0, 0.1, normformer=True)
    old = {k: torch.randn_like(v) for k, v in block.state_dict().items()}  # the old keys (test above)
    fresh = PreNormBlock.point(8, 2, 4.0, 0.1, normformer=True)
    fresh.load_state_dict(old, strict=True)
    torch.testing.assert_close(fresh.state_dict()["attn.q_proj.weight"], old["attn.q_proj.weight"])
