"""PointCloudModel: a whole-event backbone (ViT, PET2, ParT, CondOnlyMLP) plus task heads."""

from __future__ import annotations

from typing import Any

from torch import nn

from halite.data.dicts import load_norm_dict
from halite.models.assembled import AssembledModel
from halite.models.multitask import global_only
from halite.nn.backbone import InputInfo
from halite.nn.point.base import PointBackbone
from halite.tasks.base import TaskBase


class PointCloudModel(AssembledModel):
    """Normalise inputs, run a backbone to one event representation, apply the tasks.

    Tasks read the global object (one prediction per event / jet). The backbone's
    parameters live under ``backbone.``; the heads under ``tasks.`` (what a
    pretrained checkpoint replaces when fine-tuning on a new task). The backbone
    normalises the inputs; its normalisation is stored under ``norms.`` in the state
    dict, as before the backbone held it (checkpoints keep one layout).

    Parameters
    ----------
    backbone
        A ``PointBackbone``.
    tasks
        Prediction heads on the global object.
    variables, norm_dict, class_dict, global_object, label_names
        Linked from the data section.
    parameters
        Linked from ``data.PARAMETERS``; parameterised inputs are not supported here.
    """

    def __init__(
        self,
        backbone: PointBackbone,
        tasks: list[TaskBase],
        variables: dict[str, list[str]] | None = None,
        norm_dict: str | dict | None = None,
        class_dict: str | None = None,
        global_object: str = "events",
        label_names: dict[str, dict[str, list[str]]] | None = None,
        parameters: dict | None = None,
    ) -> None:
        super().__init__()
        if not variables:
            msg = "PointCloudModel needs the input variables per stream (linked from data.variables)."
            raise ValueError(msg)
        if norm_dict is None:
            msg = "PointCloudModel needs a norm dict (data.norm_dict); create one with `halite prep`."
            raise ValueError(msg)
        if parameters:
            msg = "PointCloudModel does not support data.PARAMETERS; use halite.models.Model for parameterised networks."
            raise ValueError(msg)
        self.variables = {k: list(v) for k, v in variables.items()}
        self.global_object = global_object
        norm = load_norm_dict(norm_dict, self.variables)
        streams = [s for s in self.variables if s != global_object]
        out = self.attach_backbone(backbone, InputInfo(self.variables, norm, global_object, streams))
        self.register_state_dict_post_hook(_norms_out_of_backbone)
        self.register_load_state_dict_pre_hook(_norms_into_backbone)
        self.build_tasks(
            tasks,
            global_only(type(self).__name__, global_object, out),
            class_dict,
            label_names,
        )

    @property
    def backbone(self) -> PointBackbone:
        """The point-cloud backbone (a submodule: parameters under ``backbone.``)."""
        backbone = super().backbone
        assert isinstance(backbone, PointBackbone)
        return backbone

    @property
    def input_streams(self) -> list[str]:
        """The streams the backbone reads, in ``variables`` order."""
        return [s for s in self.variables if s in self.backbone.input_streams]

    @property
    def norms(self) -> nn.ModuleDict:
        """Input normalisation per stream (the backbone's ``input_norms``)."""
        return self.backbone.input_norms


_INNER, _OUTER = "backbone.input_norms.", "norms."


def _norms_out_of_backbone(module: nn.Module, state: dict[str, Any], prefix: str, meta: dict) -> None:
    """State-dict hook: ``backbone.input_norms.*`` -> ``norms.*``, listed first (the checkpoint layout)."""
    inner, outer = prefix + _INNER, prefix + _OUTER
    items = list(state.items())
    norms = [(outer + k[len(inner) :], v) for k, v in items if k.startswith(inner)]
    rest = [(k, v) for k, v in items if not k.startswith(inner)]
    at = next((i for i, (k, _) in enumerate(rest) if k.startswith(prefix)), len(rest))
    state.clear()
    state.update([*rest[:at], *norms, *rest[at:]])


def _norms_into_backbone(
    module: nn.Module, state: dict[str, Any], prefix: str, meta: dict, *args: Any
) -> None:
    """Load-state-dict pre-hook: ``norms.*`` -> ``backbone.input_norms.*``."""
    outer, inner = prefix + _OUTER, prefix + _INNER
    for key in [k for k in state if k.startswith(outer)]:
        state[inner + key[len(outer) :]] = state.pop(key)
