"""One activation vocabulary: lumin's and torch's names give the same modules."""

from __future__ import annotations

import pytest
from torch import nn

from halite.nn.layers.activations import Activation, init_linear, make_activation


@pytest.mark.parametrize(
    ("lumin", "torch_name", "cls"),
    [
        ("relu", "ReLU", nn.ReLU),
        ("swish", "SiLU", nn.SiLU),
        ("silu", "SiLU", nn.SiLU),
        ("gelu", "GELU", nn.GELU),
        ("selu", "SELU", nn.SELU),
        ("leakyrelu", "LeakyReLU", nn.LeakyReLU),
        ("prelu", "PReLU", nn.PReLU),
        ("tanh", "Tanh", nn.Tanh),
        ("sigmoid", "Sigmoid", nn.Sigmoid),
        ("softplus", "Softplus", nn.Softplus),
        ("mish", "Mish", nn.Mish),
        ("elu", "ELU", nn.ELU),
        ("linear", "Identity", nn.Identity),
    ],
)
def test_both_spellings_give_the_same_module(lumin: str, torch_name: str, cls: type) -> None:
    assert type(make_activation(lumin)) is cls
    assert type(make_activation(torch_name)) is cls


def test_every_listed_name_builds() -> None:
    for name in Activation.__args__:  # type: ignore[attr-defined]
        assert isinstance(make_activation(name), nn.Module)


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"Unknown activation 'relu6'.*'swish'"):
        make_activation("relu6")


def test_init_linear_zeroes_the_bias() -> None:
    layer = init_linear(nn.Linear(4, 3), "SELU")
    assert not layer.bias.any()
