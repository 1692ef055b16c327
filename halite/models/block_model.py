"""BlockModel: lumin-style head -> body -> tail assembly as a halite model."""

from __future__ import annotations

from torch import Tensor, nn

from halite.models.model import Model
from halite.models.multitask import global_only
from halite.nn.lumin.base import BodyBase, HeadBase, InputInfo
from halite.tasks.base import TaskBase
from halite.typing import Labels, Masks, Tensors


class BlockModel(Model):
    """A model for columnar and small-set data: ``head -> body -> tasks``.

    The head maps the raw inputs to one flat vector per jet (``CatEmbHead``,
    ``MultiHead``, ``InteractionNet``, ``LorentzBoostNet``, ``ConvHead``), the body
    (``FullyConnected``, ``MultiBlock``) transforms it, and every task's output stage
    (the tail, e.g. ``ClassRegMultiTask``) reads the body output. Head and body are
    built from the data: widths are never repeated in YAML. It has the interface of
    ``Model`` (forward, ``required_labels``, ``total_loss``, ``tasks``) so the data
    module, training loop and CLI use it unchanged; it inherits ``Model`` for that
    interface only and does not build init nets, encoder or pooling.

    Blocks with batch norm need ``data.bucket: false`` when a head reads a
    constituent stream: bucketed training batches group jets of similar
    multiplicity, so their batch statistics differ from the running ones.

    Parameters
    ----------
    head
        The head block.
    body
        The body block.
    tasks
        Tasks on the global object.
    variables, norm_dict, class_dict, global_object
        Linked from the data section (as for ``Model``).
    """

    def __init__(
        self,
        head: HeadBase,
        body: BodyBase,
        tasks: list[TaskBase],
        variables: dict[str, list[str]] | None = None,
        norm_dict: str | dict | None = None,
        class_dict: str | None = None,
        global_object: str = "jets",
    ) -> None:
        nn.Module.__init__(self)  # Model's constructor builds the GN2 parts, which this model has none of
        if not variables:
            msg = "BlockModel needs the input variables per stream (normally linked from data.variables)."
            raise ValueError(msg)
        self.variables = {k: list(v) for k, v in variables.items()}
        self.global_object = global_object
        norm = self._load_norm(norm_dict)
        self.head = head
        self.body = body
        head.build(InputInfo(self.variables, norm, global_object))
        body.build(head.get_out_size(), head.feat_map)
        self.build_tasks(
            tasks, global_only(type(self).__name__, global_object, body.get_out_size()), class_dict
        )

    def features(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Head then body: raw inputs -> ``(B, body.out_features)``."""
        return self.body(self.head(inputs, pad_masks))  # type: ignore[no-any-return]

    def forward(
        self, inputs: Tensors, pad_masks: Masks, labels: Labels | None = None
    ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """Run every task (see ``Model.forward``); outputs are ``(B, C)`` per task."""
        x = self.features(inputs, pad_masks)
        outputs: dict[str, Tensor] = {}
        losses: dict[str, Tensor] = {}
        for task in self.tasks:
            assert isinstance(task, TaskBase)
            outputs[task.name] = out = task(x)
            if labels is not None:
                losses[task.name] = task.loss(out, labels, None)
        return outputs, losses
