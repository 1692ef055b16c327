"""BlockModel: lumin-style head -> body -> tail assembly as a halite model."""

from __future__ import annotations

from torch import Tensor, nn

from halite.io import read_yaml
from halite.nn.blocks.base import BodyBase, HeadBase, InputInfo
from halite.nn.model import Model
from halite.tasks.base import TaskBase
from halite.tasks.classification import resolve_class_weights
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
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            msg = f"Task names must be unique, got {names}."
            raise ValueError(msg)
        self.tasks = nn.ModuleList(tasks)
        class_weights = read_yaml(class_dict) if class_dict else None
        for task in tasks:
            if task.input_name != global_object:
                msg = (
                    f"Task '{task.name}' predicts for stream '{task.input_name}', but a BlockModel only "
                    f"predicts per jet ('{global_object}'). Use halite.nn.model.Model for per-constituent tasks."
                )
                raise ValueError(msg)
            task.build(body.get_out_size())
            if getattr(task, "use_class_dict", False):
                if class_weights is None:
                    msg = f"Task '{task.name}' has use_class_dict=true but data.class_dict is not set."
                    raise ValueError(msg)
                resolve_class_weights(task, class_weights)  # type: ignore[arg-type]

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
