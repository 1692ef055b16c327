"""Task wiring shared by the models: required labels and the weighted total loss."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal, cast

import torch
from torch import Tensor, nn

from halite.data.dicts import load_class_dict
from halite.data.specs import LabelSpec
from halite.tasks.base import TaskBase
from halite.tasks.classification import ClassificationTask, resolve_class_weights


class MultiTask(nn.Module):
    """Mixin for models holding ``self.tasks`` (an ``nn.ModuleList`` of ``TaskBase``)."""

    tasks: nn.ModuleList

    def build_tasks(
        self,
        tasks: list[TaskBase],
        sizes: Callable[[TaskBase], tuple[int, int]],
        class_dict: str | None = None,
        label_names: dict[str, dict[str, list[str]]] | None = None,
    ) -> None:
        """Build every task with ``sizes(task) = (input_size, context_size)``.

        Classification tasks get their class names (config, then the file's attributes,
        then the built-in table) and, with ``use_class_dict``, the class dict's weights.
        ``sizes`` raises for a task whose stream the model cannot serve.
        """
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            msg = f"Task names must be unique, got {names}."
            raise ValueError(msg)
        self.tasks = nn.ModuleList(tasks)
        class_weights = load_class_dict(class_dict) if class_dict else None
        for task in tasks:
            if isinstance(task, ClassificationTask):
                task.resolve_class_names((label_names or {}).get(task.input_name, {}))
            input_size, context_size = sizes(task)
            task.build(input_size, context_size=context_size)
            if task.use_class_dict:
                if class_weights is None:
                    msg = f"Task '{task.name}' has use_class_dict=true but data.class_dict is not set."
                    raise ValueError(msg)
                try:
                    resolve_class_weights(task, class_weights)  # type: ignore[arg-type]
                except ValueError as err:
                    msg = f"Class dict {class_dict}: {err}"
                    raise ValueError(msg) from err
        check_output_columns(tasks)

    def task_heads(self) -> list[TaskBase]:
        """The tasks, typed (``tasks`` is the ``nn.ModuleList`` holding them)."""
        return [cast(TaskBase, t) for t in self.tasks]

    def required_labels(self) -> dict[str, list[LabelSpec]]:
        """Labels needed by the tasks, per stream (deduplicated by name)."""
        out: dict[str, dict[str, LabelSpec]] = {}
        for task in self.task_heads():
            for spec in task.required_labels():
                have = out.setdefault(task.input_name, {}).get(spec.name)
                if have is not None and have != spec:
                    if _plain(spec) and spec.kind == have.kind:
                        continue  # a plain read of a label another task reads with checks
                    if not (_plain(have) and spec.kind == have.kind):
                        msg = f"Label '{spec.name}' of '{task.input_name}' is requested with two different settings."
                        raise ValueError(msg)
                out[task.input_name][spec.name] = spec
        return {s: list(d.values()) for s, d in out.items()}

    def total_loss(self, losses: dict[str, Tensor]) -> Tensor:
        """Weighted sum of per-task losses."""
        weights = {t.name: t.weight for t in self.task_heads()}
        return sum((weights[k] * v for k, v in losses.items()), torch.zeros(()))


def _plain(spec: LabelSpec) -> bool:
    """A label read as it is in the file (no label map, no class-count check)."""
    return spec.label_map is None and spec.num_classes is None


#: how the task losses combine: ``wsum`` the weighted sum, ``GLS`` their geometric mean
LossMode = Literal["wsum", "GLS"]


def geometric_loss(losses: dict[str, Tensor]) -> Tensor:
    """The geometric mean ``(prod_i L_i) ** (1 / n)`` of the ``n`` task losses (scalars).

    salt's ``loss_mode: GLS`` (geometric loss strategy, Chennupati et al., arXiv:1904.08492): the
    tasks' scales need no weights, so every task weight must be 1 (see ``check_gls_weights``).
    """
    if not losses:
        msg = "GLS needs at least one task loss; the model returned none."
        raise ValueError(msg)
    return torch.pow(math.prod(losses.values()), 1.0 / len(losses))  # type: ignore[arg-type]


def check_gls_weights(tasks: Sequence[TaskBase]) -> None:
    """Raise when a task has a weight other than 1 (GLS does not use task weights, as in salt)."""
    weighted = {t.name: t.weight for t in tasks if t.weight != 1.0}
    if weighted:
        msg = (
            f"loss_mode GLS does not use task weights, but tasks have weights {weighted}; "
            f"set every task's weight to 1 or use loss_mode wsum."
        )
        raise ValueError(msg)


def check_output_columns(tasks: list[TaskBase], model_name: str = "<model>") -> None:
    """Raise when two tasks would write the same prediction column of one stream.

    Checked when the model is built (not when predictions are written after training);
    the message names both tasks and the column.
    """
    owner: dict[tuple[str, str], str] = {}
    for task in tasks:
        for col in task.output_columns(model_name):
            first = owner.setdefault((task.input_name, col), task.name)
            if first == task.name and list(task.output_columns(model_name)).count(col) > 1:
                msg = (
                    f"Task '{task.name}' writes the prediction column '{col}' twice (two class names with "
                    f"one probability name, e.g. bjets and singlebjets are both pb). Rename a class."
                )
                raise ValueError(msg)
            if first != task.name:
                msg = (
                    f"Tasks '{first}' and '{task.name}' both write the prediction column '{col}' of "
                    f"'{task.input_name}'. Give one of them custom_output_names (regression), other "
                    f"class_names, or a different task name (Gaussian regression columns are <task>_<target>)."
                )
                raise ValueError(msg)


def global_only(model: str, global_object: str, size: int) -> Callable[[TaskBase], tuple[int, int]]:
    """Task sizes for models that predict per global object only (error for other streams)."""

    def sizes(task: TaskBase) -> tuple[int, int]:
        if task.input_name != global_object:
            msg = (
                f"Task '{task.name}' reads '{task.input_name}', but {model} only predicts per jet "
                f"('{global_object}'). Set input_name: {global_object}, or use halite.models.Model "
                f"for per-constituent tasks."
            )
            raise ValueError(msg)
        return size, 0

    return sizes
