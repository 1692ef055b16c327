"""A backbone plus heads: the state-dict layouts of the models stay those of their checkpoints."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from halite.models import PointCloudModel
from halite.models.assembled import AssembledModel
from halite.models.encoder_backbone import EncoderBackbone
from halite.nn.backbone import Backbone, InputInfo
from halite.nn.point.cond_mlp import CondOnlyMLP
from halite.tasks import ClassificationTask
from halite.typing import Masks, Tensors
from tests.unit.models.test_model import TRACKS, model

VARIABLES = {"jets": ["pt", "eta"], "tracks": ["d0", "z0"]}
NORM = {s: {v: {"mean": 1.0, "std": 2.0} for v in vs} for s, vs in VARIABLES.items()}


def point_model() -> PointCloudModel:
    torch.manual_seed(0)
    return PointCloudModel(
        CondOnlyMLP(hidden_dim=8, num_layers=1),
        [ClassificationTask("jets_classification", "jets", "flavour_label", class_names=["a", "b"])],
        variables=VARIABLES,
        norm_dict=NORM,
        global_object="jets",
    )


def test_model_keeps_its_top_level_layout_and_loads_strictly() -> None:
    m = model({"jets": ["a", "b"], "tracks": TRACKS})
    assert isinstance(m.backbone, EncoderBackbone) and m.backbone.per_constituent
    prefixes = list(dict.fromkeys(k.split(".")[0] for k in m.state_dict()))
    assert prefixes == ["norms", "init_nets", "encoder", "pool_net", "tasks"]
    assert m.encoder is m.backbone.encoder  # the same submodules, registered on the model
    other = model({"jets": ["a", "b"], "tracks": TRACKS})
    other.load_state_dict(m.state_dict(), strict=True)
    m.packed = False
    assert m.backbone.packed is False
    m.eval()
    assert not m.backbone.training


def test_point_model_state_dict_has_norms_first_and_loads_old_layout() -> None:
    m = point_model()
    state = m.state_dict()
    keys = list(state)
    assert keys[:2] == ["norms.jets.mean", "norms.jets.inv_std"]
    assert not any(k.startswith("backbone.input_norms") for k in keys)
    assert any(k.startswith("backbone.input_proj") for k in keys)
    state["norms.jets.mean"] = torch.tensor([3.0, 4.0])  # an old-layout checkpoint entry
    fresh = point_model()
    fresh.load_state_dict(state, strict=True)
    torch.testing.assert_close(fresh.backbone.input_norms["jets"].mean, torch.tensor([3.0, 4.0]))
    assert fresh.norms["jets"] is fresh.backbone.input_norms["jets"]
    wrapped = nn.ModuleDict({"model": point_model()})  # as inside the LitModel: a prefix
    assert next(iter(wrapped.state_dict())) == "model.norms.jets.mean"
    wrapped.load_state_dict({f"model.{k}": v for k, v in state.items()}, strict=True)


class WithOwnTensor(Backbone):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def build(self, info: InputInfo) -> int:
        return 1

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        return inputs["jets"][:, :1] * self.scale


def test_flat_attach_refuses_a_backbone_with_own_tensors() -> None:
    holder = AssembledModel()
    with pytest.raises(ValueError, match=r"holds tensors \['scale'\] outside its submodules"):
        holder.attach_backbone(WithOwnTensor(), InputInfo(VARIABLES, NORM, "jets"), flat=True)
    with pytest.raises(RuntimeError, match="has no backbone yet"):
        _ = AssembledModel().backbone
    assert holder.attach_backbone(WithOwnTensor(), InputInfo(VARIABLES, NORM, "jets")) == 1
    assert list(holder.state_dict()) == ["backbone.scale"]
