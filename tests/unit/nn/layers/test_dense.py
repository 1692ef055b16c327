"""The one MLP builder and ``Dense``."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from halite.nn.layers.dense import Dense, mlp


def kinds(seq: nn.Sequential) -> list[str]:
    return [type(m).__name__ for m in seq]


def test_hidden_layers_then_a_plain_output() -> None:
    net = mlp([4, 8, 2], "SiLU", final_activation="Sigmoid", norm="LayerNorm", dropout=0.1)
    assert kinds(net) == ["Linear", "LayerNorm", "SiLU", "Dropout", "Linear", "Sigmoid"]


def test_norm_places_and_act_last() -> None:
    pre = mlp([4, 8, 2], "GELU", act_last=True, norm="LayerNorm", norm_at="input")
    assert kinds(pre) == ["LayerNorm", "Linear", "GELU", "LayerNorm", "Linear", "GELU"]
    assert pre[3].normalized_shape == (8,)
    after = mlp([4, 8], "relu", act_last=True, norm="BatchNorm1d", norm_at="activation")
    assert kinds(after) == ["Linear", "ReLU", "BatchNorm1d"]


def test_fixed_slots_keep_indices_without_options() -> None:
    assert kinds(mlp([4, 8, 4], "GELU", norm_at="activation", fixed_slots=True)) == [
        "Linear",
        "GELU",
        "Identity",
        "Dropout",
        "Linear",
    ]
    assert kinds(mlp([4, 8, 4], "GELU", norm_at=None, fixed_slots=True)) == [
        "Linear",
        "GELU",
        "Dropout",
        "Linear",
    ]


def test_lumin_options_linear_alpha_dropout_groups_and_init() -> None:
    assert kinds(mlp([4, 3], "linear", act_last=True)) == ["Linear"]
    assert kinds(mlp([4, 3], "Identity", act_last=True)) == ["Linear", "Identity"]
    assert kinds(mlp([4, 3], "selu", act_last=True, dropout=0.2, alpha_dropout=True)) == [
        "Linear",
        "SELU",
        "AlphaDropout",
    ]
    grouped = mlp([4, 5, 3], "relu", act_last=True, grouped=True, init=True)
    assert [[type(m).__name__ for m in g.children()] for g in grouped] == [
        ["Linear", "ReLU"],
        ["Linear", "ReLU"],
    ]
    assert not grouped.state_dict()["0.0.bias"].any()  # init_linear: zero bias


def test_bad_sizes_and_norm_are_explained() -> None:
    with pytest.raises(ValueError, match="at least an input and an output"):
        mlp([4])
    with pytest.raises(ValueError, match="choose a norm"):
        mlp([4, 2], norm="GroupNorm")  # type: ignore[arg-type]


def test_dense_context_broadcasts_over_constituents() -> None:
    torch.manual_seed(0)
    dense = Dense(3, 2, [4], context_size=2)
    out = dense(torch.randn(5, 7, 3), torch.randn(5, 2))
    assert out.shape == (5, 7, 2)
    with pytest.raises(ValueError, match="context input but got none"):
        dense(torch.randn(5, 7, 3))
