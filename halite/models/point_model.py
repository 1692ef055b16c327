"""PointCloudModel: a whole-event backbone (ViT, PET2, ParT, CondOnlyMLP) plus task heads."""

from __future__ import annotations

from torch import Tensor, nn

from halite.data.dicts import load_norm_dict
from halite.models.multitask import MultiTask, global_only
from halite.nn.layers.norm import InputNorm
from halite.nn.point.base import PointBackbone
from halite.tasks.base import TaskBase
from halite.typing import Labels, Masks, Tensors


class PointCloudModel(MultiTask):
    """Normalise inputs, run a backbone to one event representation, apply the tasks.

    Tasks read the global object (one prediction per event / jet). The backbone's
    parameters live under ``backbone.``; the heads under ``tasks.`` (what a
    pretrained checkpoint replaces when fine-tuning on a new task).

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
        self.norms = nn.ModuleDict({s: InputNorm(v, norm[s]) for s, v in self.variables.items()})
        backbone.build(self.variables, global_object)
        self.backbone = backbone
        self.build_tasks(
            tasks,
            global_only(type(self).__name__, global_object, backbone.out_features),
            class_dict,
            label_names,
        )

    def forward(
        self, inputs: Tensors, pad_masks: Masks, labels: Labels | None = None
    ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """Outputs and (with labels) unweighted losses per task; see ``Model.forward``."""
        normed = {}
        for s, x in inputs.items():
            if s not in self.norms:
                continue
            z = self.norms[s](x)
            normed[s] = z.masked_fill(pad_masks[s].unsqueeze(-1), 0.0) if s in pad_masks else z
        rep = self.backbone(normed, inputs, pad_masks)
        outputs, losses = {}, {}
        for task in self.tasks:
            outputs[task.name] = out = task(rep)
            if labels is not None:
                losses[task.name] = task.loss(out, labels, None)
        return outputs, losses
