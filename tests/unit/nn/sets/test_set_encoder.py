"""The set-encoder contract (``halite.nn.sets.base.SetEncoder``): declared flags and their methods."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

import halite.nn
from halite.nn.layers.packing import Packing
from halite.nn.sets.base import SetEncoder


class Plain(SetEncoder):
    """A minimal set encoder: a linear map per constituent."""

    def __init__(self) -> None:
        super().__init__()
        self.embed_dim = self.out_features = 4
        self.linear = torch.nn.Linear(4, 4)

    def forward(self, x: Tensor, pad_mask: Tensor | None = None) -> Tensor:
        return self.linear(x)


def test_defaults_declare_no_capability() -> None:
    enc = Plain()
    assert (enc.supports_packing, enc.multi_stream, enc.uses_edges, enc.packed) == (
        False,
        False,
        False,
        False,
    )
    assert enc.input_names is None
    assert halite.nn.SetEncoder is SetEncoder


def test_undeclared_capabilities_raise_naming_the_class() -> None:
    enc = Plain()
    mask = torch.zeros(2, 3, dtype=torch.bool)
    with pytest.raises(TypeError, match=r"Plain does not support packing \(supports_packing = False\)"):
        enc.forward_packed(torch.randn(6, 4), Packing.from_mask(mask))
    with pytest.raises(TypeError, match=r"Plain does not use edge features \(uses_edges = False\)"):
        enc.build_edges(3)


def test_a_declared_capability_needs_its_method() -> None:
    with pytest.raises(TypeError, match="NoPacking declares supports_packing = True but does not implement"):

        class NoPacking(Plain):
            supports_packing = True

    with pytest.raises(
        TypeError, match="NoEdges declares uses_edges = True but does not implement build_edges"
    ):

        class NoEdges(Plain):
            uses_edges = True

    class Packs(Plain):
        supports_packing = True

        def forward_packed(self, x: Tensor, packing: Packing) -> Tensor:
            return self.linear(x)

    assert Packs.supports_packing
