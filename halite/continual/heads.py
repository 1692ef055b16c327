"""Output heads of the continual- and multi-task-learning paradigms (CLArena's head APIs).

All heads map backbone features ``(B, D)`` to class logits. They are created task by task
(``setup_*``), so a head used before it is set up raises a ``RuntimeError`` naming the call
that is missing.

Paradigms (van de Ven & Tolias, "Three scenarios for continual learning", arXiv:1904.07734):

``HeadsTIL``
    task-incremental: one head per task, the task id is given at test time.
``HeadsCIL``
    class-incremental: one head per task, the logits of all tasks seen so far are
    concatenated and the task id is not given.
``HeadDIL``
    domain-incremental: one head shared by all tasks (same classes, new input domain).
``HeadsMTL``
    multi-task: all tasks trained jointly, every sample routed to its task's head.
``HeadSTL``
    single-task: one head.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _check_num_classes(num_classes: int, where: str) -> None:
    if int(num_classes) < 1:
        msg = f"{where}: num_classes must be >= 1, got {num_classes}."
        raise ValueError(msg)


class HeadsTIL(nn.Module):
    """Task-incremental heads: a linear head per task, selected by the task id.

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    """

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.heads = nn.ModuleDict()

    def setup_task_id(self, task_id: int, num_classes_t: int) -> None:
        """Create the head of task ``task_id`` with ``num_classes_t`` outputs (no-op if it exists)."""
        _check_num_classes(num_classes_t, f"HeadsTIL.setup_task_id({task_id})")
        key = str(task_id)
        if key in self.heads:
            have = self.heads[key].out_features
            if have != num_classes_t:
                msg = f"HeadsTIL: task {task_id} already has a head with {have} classes, not {num_classes_t}."
                raise ValueError(msg)
            return
        self.heads[key] = nn.Linear(self.input_dim, num_classes_t)

    def get_head(self, task_id: int) -> nn.Linear:
        """The head of task ``task_id``."""
        key = str(task_id)
        if key not in self.heads:
            msg = (
                f"HeadsTIL: no head for task {task_id} (set up: {list(self.heads)}). "
                f"Call setup_task_id({task_id}, num_classes) first."
            )
            raise RuntimeError(msg)
        head = self.heads[key]
        assert isinstance(head, nn.Linear)
        return head

    def forward(self, feature: Tensor, task_id: int) -> Tensor:
        """``feature`` ``(B, D)`` -> logits of task ``task_id`` ``(B, C_t)``."""
        return self.get_head(task_id)(feature)


class HeadsCIL(nn.Module):
    """Class-incremental heads: a head per task, logits of all processed tasks concatenated.

    The columns of the output are ordered by the order in which tasks were set up:
    task ``processed_task_ids[0]`` first, then the next, so a class keeps its column
    forever.

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    """

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.heads = nn.ModuleDict()
        self.processed_task_ids: list[int] = []

    def setup_task_id(self, task_id: int, num_classes_t: int) -> None:
        """Append the head of task ``task_id`` (no-op if it exists) and record the id."""
        _check_num_classes(num_classes_t, f"HeadsCIL.setup_task_id({task_id})")
        if task_id in self.processed_task_ids:
            have = self.heads[str(task_id)].out_features
            if have != num_classes_t:
                msg = f"HeadsCIL: task {task_id} already has a head with {have} classes, not {num_classes_t}."
                raise ValueError(msg)
            return
        self.heads[str(task_id)] = nn.Linear(self.input_dim, num_classes_t)
        self.processed_task_ids.append(task_id)

    def get_head(self, task_id: int) -> nn.Linear:
        """The head of task ``task_id``."""
        if task_id not in self.processed_task_ids:
            msg = (
                f"HeadsCIL: no head for task {task_id} (set up: {self.processed_task_ids}). "
                f"Call setup_task_id({task_id}, num_classes) first."
            )
            raise RuntimeError(msg)
        head = self.heads[str(task_id)]
        assert isinstance(head, nn.Linear)
        return head

    def class_offset(self, task_id: int) -> int:
        """Column of the first class of task ``task_id`` in the concatenated logits."""
        self.get_head(task_id)
        offset = 0
        for t in self.processed_task_ids:
            if t == task_id:
                break
            offset += self.get_head(t).out_features
        return offset

    def forward(self, feature: Tensor, task_id: int | None = None) -> Tensor:
        """``feature`` ``(B, D)`` -> ``(B, sum_t C_t)`` over all processed tasks.

        ``task_id`` is accepted for a uniform call signature and ignored: in the
        class-incremental setting the task is unknown at test time.
        """
        if not self.processed_task_ids:
            msg = "HeadsCIL: no task set up yet. Call setup_task_id(task_id, num_classes) first."
            raise RuntimeError(msg)
        return torch.cat([self.heads[str(t)](feature) for t in self.processed_task_ids], dim=-1)


class _SingleHead(nn.Module):
    """One linear head created by ``setup_task``; shared by ``HeadDIL`` and ``HeadSTL``."""

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.head: nn.Linear | None = None

    def if_head_setup(self) -> bool:
        """Whether ``setup_task`` was called."""
        return self.head is not None

    def get_head(self, task_id: int | None = None) -> nn.Linear:
        """The head (``task_id`` is ignored)."""
        if self.head is None:
            msg = f"{type(self).__name__}: the head is not set up. Call setup_task(num_classes) first."
            raise RuntimeError(msg)
        return self.head

    def forward(self, feature: Tensor, task_id: int | None = None) -> Tensor:
        """``feature`` ``(B, D)`` -> ``(B, C)``; ``task_id`` is ignored."""
        return self.get_head()(feature)


class HeadDIL(_SingleHead):
    """Domain-incremental head: one linear head shared by all tasks.

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    """

    def setup_task(self, num_classes: int) -> None:
        """Create the head (first call) or check that ``num_classes`` matches it."""
        _check_num_classes(num_classes, "HeadDIL.setup_task")
        if self.head is None:
            self.head = nn.Linear(self.input_dim, num_classes)
        elif self.head.out_features != num_classes:
            msg = (
                f"HeadDIL: every domain-incremental task must have the same classes; the head has "
                f"{self.head.out_features}, this task {num_classes}. Use the 'cil' paradigm for new classes."
            )
            raise ValueError(msg)


class HeadsMTL(nn.Module):
    """Multi-task heads: one linear head per task, samples routed by their task id.

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    """

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.heads = nn.ModuleDict()

    def setup_tasks(self, task_ids: list[int], num_classes: list[int] | dict[int, int]) -> None:
        """Create one head per task: ``num_classes`` per task, as a list aligned with ``task_ids`` or a dict."""
        counts = num_classes if isinstance(num_classes, dict) else dict(zip(task_ids, num_classes))
        if isinstance(num_classes, list) and len(num_classes) != len(task_ids):
            msg = f"HeadsMTL.setup_tasks: {len(task_ids)} task ids but {len(num_classes)} class counts."
            raise ValueError(msg)
        for t in task_ids:
            if t not in counts:
                msg = f"HeadsMTL.setup_tasks: no class count for task {t}."
                raise ValueError(msg)
            _check_num_classes(counts[t], f"HeadsMTL.setup_tasks (task {t})")
            self.heads[str(t)] = nn.Linear(self.input_dim, int(counts[t]))

    def get_head(self, task_id: int) -> nn.Linear:
        """The head of task ``task_id``."""
        key = str(int(task_id))
        if key not in self.heads:
            msg = (
                f"HeadsMTL: no head for task {task_id} (set up: {list(self.heads)}). "
                f"Call setup_tasks(task_ids, num_classes) first."
            )
            raise RuntimeError(msg)
        head = self.heads[key]
        assert isinstance(head, nn.Linear)
        return head

    def forward(self, feature: Tensor, task_ids: int | Tensor) -> Tensor:
        """Route samples to their heads.

        Parameters
        ----------
        feature
            ``(B, D)``.
        task_ids
            One task id for the whole batch, or ``(B,)`` integer task ids.

        Returns
        -------
        Tensor
            With one task id: ``(B, C_t)``. With per-sample ids: ``(B, max C)`` in input
            order; columns beyond the width of a sample's head are ``-inf`` so that softmax,
            cross-entropy and argmax ignore them.
        """
        if isinstance(task_ids, int) or (isinstance(task_ids, Tensor) and task_ids.dim() == 0):
            return self.get_head(int(task_ids))(feature)
        if task_ids.shape != feature.shape[:1]:
            msg = f"HeadsMTL: task_ids has shape {tuple(task_ids.shape)}, expected ({feature.shape[0]},)."
            raise ValueError(msg)
        unique = [int(t) for t in torch.unique(task_ids)]
        heads = {t: self.get_head(t) for t in unique}
        width = max((h.out_features for h in heads.values()), default=0)
        out = feature.new_full((feature.shape[0], width), float("-inf"))
        for t, head in heads.items():
            rows = torch.nonzero(task_ids == t, as_tuple=True)[0]
            out[rows, : head.out_features] = head(feature[rows])
        return out


class HeadSTL(_SingleHead):
    """Single-task head.

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    """

    def setup_task(self, num_classes: int) -> None:
        """Create the head with ``num_classes`` outputs."""
        _check_num_classes(num_classes, "HeadSTL.setup_task")
        self.head = nn.Linear(self.input_dim, num_classes)
