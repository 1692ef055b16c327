"""AssembledModel: the common base of the models, a backbone plus task heads."""

from __future__ import annotations

from torch import Tensor

from halite.models.multitask import MultiTask
from halite.nn.backbone import Backbone, InputInfo
from halite.typing import Labels, Masks, Tensors


class AssembledModel(MultiTask):
    """A backbone (``halite.nn.backbone.Backbone``) plus the task heads in ``tasks``.

    Subclasses build their backbone with ``attach_backbone`` and their heads with
    ``build_tasks``. The backbone is either one submodule ``backbone`` (its parameters
    under ``backbone.``), or, with ``flat=True``, its submodules are registered on the model
    itself (``Model``'s ``init_nets.*``, ``encoder.*`` ...; ``BlockModel``'s ``head.*``,
    ``body.*``), the state-dict layout these models have always had. A flat backbone holds
    no tensors of its own (checked), so the model's ``to``, ``state_dict`` and optimiser see
    all of them through the shared submodules.

    The default ``forward`` serves models whose tasks all read the global object.
    """

    variables: dict[str, list[str]]
    global_object: str

    def attach_backbone(self, backbone: Backbone, info: InputInfo, flat: bool = False) -> int:
        """Build ``backbone`` for ``info``, attach it, return its ``out_features``."""
        out = backbone.build(info)
        if not flat:
            object.__setattr__(self, "_backbone", backbone)  # what the `backbone` property returns
            self._modules["backbone"] = backbone  # add_module refuses: `backbone` is a property
            return out
        own = [n for n, _ in backbone.named_parameters(recurse=False)]
        own += [n for n, _ in backbone.named_buffers(recurse=False)]
        if own:
            msg = (
                f"{type(backbone).__name__} holds tensors {own} outside its submodules, so it cannot be "
                f"attached flat; put them in a submodule or attach it with flat=False."
            )
            raise ValueError(msg)
        object.__setattr__(self, "_backbone", backbone)  # a reference, outside the module tree
        for name, child in backbone.named_children():
            self.add_module(name, child)
        return out

    @property
    def backbone(self) -> Backbone:
        """The model's backbone (inputs -> one vector per jet)."""
        backbone = self.__dict__.get("_backbone")
        if not isinstance(backbone, Backbone):
            msg = f"{type(self).__name__} has no backbone yet: call attach_backbone in its constructor."
            raise RuntimeError(msg)
        return backbone

    @property
    def input_streams(self) -> list[str]:
        """Streams the model reads, in ``variables`` order (the inputs of an exported graph)."""
        return list(self.variables)

    def train(self, mode: bool = True) -> AssembledModel:
        super().train(mode)
        self.backbone.train(mode)  # a flat backbone is outside the module tree
        return self

    def forward(
        self, inputs: Tensors, pad_masks: Masks, labels: Labels | None = None
    ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """Outputs ``(B, C)`` and (with labels) unweighted losses per task; see ``Model.forward``."""
        x = self.backbone(inputs, pad_masks)
        outputs: dict[str, Tensor] = {}
        losses: dict[str, Tensor] = {}
        for task in self.task_heads():
            outputs[task.name] = out = task(x)
            if labels is not None:
                losses[task.name] = task.loss(out, labels, None)
        return outputs, losses
