"""HaliteModel: what training, prediction writing and export need of a model."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import Tensor, nn

from halite.data.specs import LabelSpec
from halite.tasks.base import TaskBase
from halite.typing import Labels, Masks, Tensors

MEMBERS = (
    "variables",
    "global_object",
    "tasks",
    "norms",
    "input_streams",
    "task_heads",
    "required_labels",
    "total_loss",
)


@runtime_checkable
class HaliteModel(Protocol):
    """A multi-task model: ``Model``, ``BlockModel``, ``PointCloudModel`` (``AssembledModel``).

    Attributes
    ----------
    variables
        Input variables per stream.
    global_object
        Name of the ``(B, F)`` global stream.
    tasks
        The task heads (``halite.tasks.base.TaskBase``), each with ``name`` and ``input_name``.
    norms
        ``InputNorm`` per stream: the raw-input scale of the exported graph.
    input_streams
        Streams the model reads, the global object included (the inputs of an exported graph).
    """

    variables: dict[str, list[str]]
    global_object: str
    tasks: nn.ModuleList

    @property
    def norms(self) -> nn.ModuleDict: ...

    @property
    def input_streams(self) -> list[str]: ...

    def __call__(
        self, inputs: Tensors, pad_masks: Masks, labels: Labels | None = None
    ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """Raw inputs per stream and pad masks -> outputs and unweighted losses per task."""
        ...

    def task_heads(self) -> list[TaskBase]:
        """The tasks, in order."""
        ...

    def required_labels(self) -> dict[str, list[LabelSpec]]:
        """Labels the tasks need, per stream."""
        ...

    def total_loss(self, losses: dict[str, Tensor]) -> Tensor:
        """Weighted sum of per-task losses."""
        ...


def check_model(model: object) -> HaliteModel:
    """``model`` typed as ``HaliteModel``; error naming the members it lacks."""
    missing = [m for m in MEMBERS if not hasattr(model, m)]
    if missing or not isinstance(model, HaliteModel):
        msg = (
            f"{type(model).__name__} is not a halite model: it lacks {missing or ['__call__']}. "
            f"Use halite.models.Model, BlockModel or PointCloudModel (or a subclass of "
            f"halite.models.assembled.AssembledModel)."
        )
        raise TypeError(msg)
    return model
