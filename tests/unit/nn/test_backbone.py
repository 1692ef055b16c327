"""The backbone contract: InputInfo, the per-constituent flag, the families that follow it."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from halite.continual import data as continual_data
from halite.continual.backbones import MLPBackbone
from halite.models import lumin_inputs
from halite.models.block_model import BlockBackbone
from halite.nn.backbone import Backbone, InputInfo
from halite.nn.point.cond_mlp import CondOnlyMLP

VARIABLES = {"jets": ["pt", "eta"], "tracks": ["d0", "z0"]}
NORM = {s: {v: {"mean": 1.0, "std": 2.0} for v in vs} for s, vs in VARIABLES.items()}


def test_one_input_info_for_blocks_and_continual() -> None:
    assert lumin_inputs.InputInfo is InputInfo and continual_data.InputInfo is InputInfo
    info = InputInfo(VARIABLES, NORM, "jets", ["tracks"])
    assert (info.global_object, list(info.constituent_streams)) == ("jets", ["tracks"])
    assert InputInfo({"digits": ["a"]}).norm is None  # continual callers: variables only
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.global_object = "x"  # type: ignore[misc]


def test_stream_norm_names_what_is_missing() -> None:
    assert InputInfo(VARIABLES, NORM, "jets").stream_norm("jets", "X")["pt"]["std"] == 2.0
    with pytest.raises(ValueError, match="X normalises stream 'jets' but the norm dict has no norm dict"):
        InputInfo(VARIABLES).stream_norm("jets", "X")
    with pytest.raises(ValueError, match=r"streams \['jets', 'tracks'\]"):
        InputInfo(VARIABLES, NORM).stream_norm("hits", "X")


def test_families_build_to_out_features_and_declare_per_constituent() -> None:
    torch.manual_seed(0)
    info = InputInfo(VARIABLES, NORM, "jets", ["tracks"])
    inputs = {"jets": torch.randn(3, 2), "tracks": torch.randn(3, 4, 2)}
    masks = {"tracks": torch.zeros(3, 4, dtype=torch.bool)}
    for backbone in (BlockBackbone(), CondOnlyMLP(hidden_dim=8, num_layers=1), MLPBackbone("jets")):
        assert isinstance(backbone, Backbone) and not backbone.per_constituent
        width = backbone.build(info)
        assert backbone(inputs, masks).shape == (3, width)
        with pytest.raises(TypeError, match="has no per-constituent output"):
            backbone.forward_constituents(inputs, masks)


def test_point_backbone_normalises_raw_inputs() -> None:
    torch.manual_seed(0)
    net = CondOnlyMLP(hidden_dim=8, num_layers=1)
    net.build(InputInfo(VARIABLES, NORM, "jets", ["tracks"]))
    raw = {"jets": torch.randn(3, 2), "tracks": torch.randn(3, 4, 2)}
    masks = {"tracks": torch.zeros(3, 4, dtype=torch.bool)}
    normed = {"jets": (raw["jets"] - 1.0) / 2.0, "tracks": (raw["tracks"] - 1.0) / 2.0}
    torch.testing.assert_close(net(raw, masks), net.encode(normed, raw, masks))
    assert net.input_streams == ["jets"]
    with pytest.raises(ValueError, match="needs a global object"):
        CondOnlyMLP().build(InputInfo(VARIABLES, NORM))
