"""Common task interface: a dense head, a loss, a target and a weight."""

from __future__ import annotations

from torch import Tensor, nn

from halite.data.specs import LabelSpec
from halite.nn.layers.dense import Dense, DenseConfig
from halite.typing import Labels


class TaskBase(nn.Module):
    """A prediction head with its loss.

    Tasks are built late by the model, once the width of their input is known
    (``build``). A task on the global object reads the pooled representation; a
    task on a constituent stream reads the per-constituent encoder output with the
    pooled representation as context.

    Parameters
    ----------
    name
        Unique task name (used for logging and output names).
    input_name
        Stream the task predicts for (``jets``, ``tracks``, ...).
    dense_config
        Head network; its ``output_size`` may be left out where the task knows it.
    loss
        Loss module; tasks document which reduction they need.
    weight
        Weight of this task in the total loss.

    Attributes
    ----------
    tokenwise
        True when ``forward`` treats every constituent independently (a dense head),
        so the model may run it on the valid constituents only. Tasks whose forward
        mixes constituents (e.g. pairwise heads) set it to False.
    pad_value
        Value of the task's per-constituent prediction columns in padded slots (salt's:
        0 for probabilities, NaN for regression, ``-1`` for vertex indices).
    use_class_dict
        True when the task takes its class weights from the class dict (``data.class_dict``);
        the model then calls ``halite.tasks.classification.resolve_class_weights`` on it.
        Tasks with that option (classification) set it from their constructor.
    label_map
        Raw label value -> class index, for tasks whose labels are remapped (classification);
        ``None`` when labels are used as they are.
    """

    tokenwise: bool = True
    use_class_dict: bool = False
    label_map: dict[int, int] | None = None
    #: value of this task's prediction columns in padded constituent slots
    pad_value: float = 0.0

    def __init__(
        self,
        name: str,
        input_name: str,
        dense_config: DenseConfig | None = None,
        loss: nn.Module | None = None,
        weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.name = name
        self.input_name = input_name
        self.dense_config = dense_config or DenseConfig()
        self.loss_fn = loss
        self.weight = weight
        self.net: Dense | None = None

    @property
    def output_size(self) -> int:
        """Number of head outputs this task needs."""
        raise NotImplementedError

    def build(self, input_size: int, context_size: int = 0) -> None:
        """Create the head for inputs of width ``input_size`` plus ``context_size``."""
        self.net = Dense.from_config(self.dense_config, input_size, self.output_size, context_size)
        if self.net.out_features != self.output_size:
            msg = (
                f"Task '{self.name}': dense_config.output_size={self.net.out_features} but the task needs "
                f"{self.describe_outputs()}. Remove output_size or set it to {self.output_size}."
            )
            raise ValueError(msg)

    def describe_outputs(self) -> str:
        """What the head outputs are, for error messages (e.g. ``3 outputs, one per class [...]``)."""
        return f"{self.output_size} outputs"

    def required_labels(self) -> list[LabelSpec]:
        """Labels this task reads from its ``input_name`` stream."""
        raise NotImplementedError

    def forward(self, x: Tensor, context: Tensor | None = None, pad_mask: Tensor | None = None) -> Tensor:
        """Head output for ``x`` ``(B, D)`` or ``(B, N, D)`` (``pad_mask`` ``(B, N)`` for constituents)."""
        if self.net is None:
            msg = f"Task '{self.name}' was used before the model built it."
            raise RuntimeError(msg)
        return self.net(x, context)

    def loss(self, output: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        """Scalar (unweighted) loss of ``output`` against the labels of ``input_name``."""
        raise NotImplementedError

    def output_columns(self, model_name: str) -> list[str]:
        """Names of the prediction columns ``predictions`` writes (salt's names), in order."""
        raise NotImplementedError

    def predictions(
        self,
        output: Tensor,
        model_name: str,
        labels: Labels | None = None,
        pad_mask: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """Output columns for the predictions file, ``(B,)`` or ``(B, N)`` each.

        Parameters
        ----------
        output
            This task's head output (from ``forward``).
        model_name
            Prefix of the column names (``<model>_pb``, ...).
        labels
            The batch's labels; tasks with ratio targets read their denominators here.
        pad_mask
            ``(B, N)`` pad mask of ``input_name`` for constituent tasks.
        """
        raise NotImplementedError


def require_unreduced(task_name: str, loss: nn.Module) -> None:
    """Raise unless ``loss`` returns per-element values (``reduction="none"``)."""
    reduction = getattr(loss, "reduction", "none")
    if reduction != "none":
        msg = (
            f"Task '{task_name}': the loss {type(loss).__name__} must have reduction='none' (got "
            f"'{reduction}'); halite masks padding and applies weights itself. Set `reduction: none` "
            f"in the loss init_args."
        )
        raise ValueError(msg)


def sample_count(per: Tensor, pad_mask: Tensor | None) -> Tensor:
    """Denominator of a sample-weighted loss, as salt takes it: the number of entries.

    Salt multiplies the unreduced loss by the weights and takes the plain ``mean``: the
    sum of ``w_i * l_i`` is divided by the number of entries (jets, times targets for
    regression), not by the weight sum; ignored entries count with ``l_i = 0``. For
    constituent tasks halite counts the real constituents: salt's batches are padded to
    the file's width, halite's are trimmed to the longest jet of the batch.

    Parameters
    ----------
    per
        Unreduced loss ``(B,)``, ``(B, R)``, ``(B, N)`` or ``(B, N, R)``.
    pad_mask
        ``(B, N)`` padding of constituent tasks, else ``None``.
    """
    if pad_mask is None:
        return per.new_tensor(float(per.numel()))
    per_slot = per.numel() // pad_mask.numel()
    return ((~pad_mask).sum() * per_slot).to(per.dtype).clamp(min=1)
