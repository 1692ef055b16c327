"""Output heads of the continual- and multi-task-learning paradigms, CLArena's ``clarena.heads`` API.

All heads map backbone features ``(B, D)`` to class logits and are created task by task
(``setup_*``). Task ids count from 1 (CLArena's convention); the heads store them as the
string keys of an ``nn.ModuleDict`` (``heads.1.weight``...), so CLArena state dicts load
strictly and give the same outputs.

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

Re-running a set-up: CLArena's ``setup_task_id`` compares the int task id with the ModuleDict's
string keys, so its "create the head if there's no" check never finds one: every call makes a
fresh, newly initialised head (and ``HeadsCIL`` appends the id to ``processed_task_ids`` again,
which repeats that task's columns in the logits); ``HeadDIL.setup_task`` always makes a fresh
head too (CLArena's algorithms call it only while ``if_head_setup()`` is False). That is the
default here. ``keep_existing_heads=True`` gives halite's earlier behaviour: a set-up of a task
that has a head keeps its weights (and checks its class count), and ids are recorded once.

Differences from CLArena that only concern errors and CLArena crashes: a head used before it is
set up raises ``HeadNotSetUpError``, which is a ``KeyError`` / ``TypeError`` as CLArena's
(a ModuleDict lookup, calling a ``None`` head) and a ``RuntimeError`` naming the missing call;
a class count below 1 raises ``ValueError`` (CLArena builds an empty ``nn.Linear(D, 0)``);
``HeadsMTL`` with per-sample task ids of heads of different widths pads with ``-inf``
(CLArena crashes there) and follows the features' dtype.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class HeadNotSetUpError(RuntimeError, KeyError, TypeError):
    """A head used before its set-up call.

    A ``RuntimeError`` naming the missing call; also a ``KeyError`` and a ``TypeError``, the
    errors CLArena raises there (an unknown key of its ``ModuleDict``, calling a ``None`` head),
    so code catching those keeps working.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _check_num_classes(num_classes: int, where: str) -> None:
    if int(num_classes) < 1:
        msg = f"{where}: num_classes must be >= 1, got {num_classes}."
        raise ValueError(msg)


def _check_same_width(head: nn.Linear, num_classes: int, where: str) -> None:
    if head.out_features != num_classes:
        msg = (
            f"{where}: the head that is kept (keep_existing_heads=True) has {head.out_features} classes, "
            f"not {num_classes}. Set it up with {head.out_features} classes or use keep_existing_heads=False "
            f"for a fresh head."
        )
        raise ValueError(msg)


def _lookup(heads: nn.ModuleDict, task_id: int, owner: str, setup: str) -> nn.Linear:
    key = f"{task_id}"
    if key not in heads:
        msg = f"{owner}: no head for task {task_id} (set up: {list(heads)}). Call {setup} first."
        raise HeadNotSetUpError(msg)
    head = heads[key]
    assert isinstance(head, nn.Linear)
    return head


class HeadsTIL(nn.Module):
    """Task-incremental heads: a linear head per task, selected by the task id.

    Attributes (CLArena's): ``heads`` (``nn.ModuleDict``, keys ``str(task_id)``), ``head_t``
    (the head created by the last ``setup_task_id``, ``None`` before; a registered submodule, so
    the state dict holds ``heads.<id>.*`` and ``head_t.*``), ``input_dim`` and ``task_id`` (the
    id of the last ``setup_task_id``; absent before the first).

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    keep_existing_heads
        halite's option: a ``setup_task_id`` of a task that has a head keeps it (CLArena, the
        default: replaces it with a fresh head).
    """

    def __init__(self, input_dim: int, *, keep_existing_heads: bool = False) -> None:
        super().__init__()
        self.heads: nn.ModuleDict = nn.ModuleDict()
        self.head_t: nn.Linear | None = None
        self.input_dim: int = input_dim
        self.task_id: int
        self.keep_existing_heads = keep_existing_heads

    def setup_task_id(self, task_id: int, num_classes_t: int) -> None:
        """Create the head of task ``task_id`` (``num_classes_t`` outputs) and make it ``head_t``."""
        _check_num_classes(num_classes_t, f"HeadsTIL.setup_task_id({task_id})")
        self.task_id = task_id
        key = f"{task_id}"
        if self.keep_existing_heads and key in self.heads:
            kept = self.get_head(task_id)
            _check_same_width(kept, num_classes_t, f"HeadsTIL.setup_task_id({task_id})")
            self.head_t = kept
            return
        self.head_t = nn.Linear(self.input_dim, num_classes_t)
        self.heads[key] = self.head_t

    def get_head(self, task_id: int) -> nn.Linear:
        """The head of task ``task_id``."""
        return _lookup(self.heads, task_id, "HeadsTIL", f"setup_task_id({task_id}, num_classes_t)")

    def forward(self, feature: Tensor, task_id: int) -> Tensor:
        """``feature`` ``(B, D)`` -> logits of task ``task_id`` ``(B, C_t)``."""
        return self.get_head(task_id)(feature)


class HeadsCIL(nn.Module):
    """Class-incremental heads: a head per task, logits of all processed tasks concatenated.

    Attributes (CLArena's): ``heads`` (``nn.ModuleDict``, keys ``str(task_id)``), ``input_dim``,
    ``task_id`` (the id of the last ``setup_task_id``; absent before the first) and
    ``processed_task_ids`` (the ids in set-up order; the output columns follow it, so a class
    keeps its column). ``get_head`` and ``class_offset`` are halite's: CLArena shifts the labels
    of a class-incremental task in its data sets, halite in ``Learner.targets``.

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    keep_existing_heads
        halite's option: a ``setup_task_id`` of a task that has a head keeps it and records the
        id once (CLArena, the default: a fresh head, the id appended again).
    """

    def __init__(self, input_dim: int, *, keep_existing_heads: bool = False) -> None:
        super().__init__()
        self.heads: nn.ModuleDict = nn.ModuleDict()
        self.input_dim: int = input_dim
        self.task_id: int
        self.processed_task_ids: list[int] = []
        self.keep_existing_heads = keep_existing_heads

    def setup_task_id(self, task_id: int, num_classes_t: int) -> None:
        """Create the head of task ``task_id`` (``num_classes_t`` outputs) and record the id."""
        _check_num_classes(num_classes_t, f"HeadsCIL.setup_task_id({task_id})")
        self.task_id = task_id
        key = f"{task_id}"
        if self.keep_existing_heads and key in self.heads:
            _check_same_width(self.get_head(task_id), num_classes_t, f"HeadsCIL.setup_task_id({task_id})")
            if task_id not in self.processed_task_ids:
                self.processed_task_ids.append(task_id)
            return
        self.processed_task_ids.append(task_id)
        self.heads[key] = nn.Linear(self.input_dim, num_classes_t)

    def get_head(self, task_id: int) -> nn.Linear:
        """The head of task ``task_id`` (halite's; CLArena's ``HeadsCIL`` has no ``get_head``)."""
        return _lookup(self.heads, task_id, "HeadsCIL", f"setup_task_id({task_id}, num_classes_t)")

    def class_offset(self, task_id: int) -> int:
        """Column of the first class of task ``task_id`` in the concatenated logits (halite's)."""
        self.get_head(task_id)
        offset = 0
        for t in self.processed_task_ids:
            if t == task_id:
                return offset
            offset += self.get_head(t).out_features
        msg = (
            f"HeadsCIL: task {task_id} has a head but is not in processed_task_ids {self.processed_task_ids}."
        )
        raise HeadNotSetUpError(msg)

    def forward(self, feature: Tensor, task_id: int | None = None) -> Tensor:
        """``feature`` ``(B, D)`` -> ``(B, sum_t C_t)`` over ``processed_task_ids``.

        ``task_id`` is a placeholder for a uniform call signature and ignored: in the
        class-incremental setting the task is unknown at test time.
        """
        if not self.processed_task_ids:
            msg = "HeadsCIL: no task set up yet. Call setup_task_id(task_id, num_classes_t) first."
            raise HeadNotSetUpError(msg)
        return torch.cat([self.heads[f"{t}"](feature) for t in self.processed_task_ids], dim=-1)


class HeadDIL(nn.Module):
    """Domain-incremental head: one linear head shared by all tasks.

    Attributes (CLArena's): ``head`` (``None`` before ``setup_task``), ``input_dim`` and
    ``_if_head_setup`` (``if_head_setup()``).

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    keep_existing_heads
        halite's option: ``setup_task`` after the first keeps the head (CLArena, the default:
        a fresh head on every call).
    """

    def __init__(self, input_dim: int, *, keep_existing_heads: bool = False) -> None:
        super().__init__()
        self.head: nn.Linear | None = None
        self.input_dim: int = input_dim
        self._if_head_setup: bool = False
        self.keep_existing_heads = keep_existing_heads

    def if_head_setup(self) -> bool:
        """Whether ``setup_task`` was called."""
        return self._if_head_setup

    def get_head(self, task_id: int | None = None) -> nn.Linear | None:
        """The head, ``None`` before ``setup_task`` (``task_id`` is a placeholder, ignored)."""
        return self.head

    def setup_task(self, num_classes: int) -> None:
        """Create the head with ``num_classes`` outputs."""
        _check_num_classes(num_classes, "HeadDIL.setup_task")
        if self.keep_existing_heads and self.head is not None:
            _check_same_width(self.head, num_classes, "HeadDIL.setup_task")
            return
        self.head = nn.Linear(self.input_dim, num_classes)
        self._if_head_setup = True

    def forward(self, feature: Tensor, task_id: int | None = None) -> Tensor:
        """``feature`` ``(B, D)`` -> ``(B, C)``; ``task_id`` is a placeholder, ignored."""
        if self.head is None:
            msg = "HeadDIL: the head is not set up. Call setup_task(num_classes) first."
            raise HeadNotSetUpError(msg)
        return self.head(feature)


class HeadsMTL(nn.Module):
    """Multi-task heads: one linear head per task, samples routed by their task id.

    Attributes (CLArena's): ``heads`` (``nn.ModuleDict``, keys ``str(task_id)``) and ``input_dim``.

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    """

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.heads: nn.ModuleDict = nn.ModuleDict()
        self.input_dim: int = input_dim

    def setup_tasks(self, task_ids: list[int], num_classes: dict[int, int] | list[int]) -> None:
        """Create (or replace) one head per task.

        ``num_classes`` maps task id -> class count (CLArena); a list aligned with ``task_ids``
        is accepted too (halite's).
        """
        if isinstance(num_classes, list) and len(num_classes) != len(task_ids):
            msg = f"HeadsMTL.setup_tasks: {len(task_ids)} task ids but {len(num_classes)} class counts."
            raise ValueError(msg)
        counts = num_classes if isinstance(num_classes, dict) else dict(zip(task_ids, num_classes))
        for t in task_ids:
            if t not in counts:
                msg = f"HeadsMTL.setup_tasks: no class count for task {t} in {counts}. Give one per task id."
                raise ValueError(msg)
            _check_num_classes(counts[t], f"HeadsMTL.setup_tasks (task {t})")
            self.heads[f"{t}"] = nn.Linear(self.input_dim, int(counts[t]))

    def get_head(self, task_id: int) -> nn.Linear:
        """The head of task ``task_id``."""
        return _lookup(self.heads, int(task_id), "HeadsMTL", "setup_tasks(task_ids, num_classes)")

    def forward(self, feature: Tensor, task_ids: int | Tensor) -> Tensor:
        """Route samples to their heads.

        Parameters
        ----------
        feature
            ``(B, D)``.
        task_ids
            One task id for the whole batch (an int or a 0-d tensor), or ``(B,)`` task ids.

        Returns
        -------
        Tensor
            With one task id: ``(B, C_t)``. With per-sample ids: ``(B, max C)`` in input
            order (CLArena's output when all heads have the same width); columns beyond the
            width of a sample's head are ``-inf`` so that softmax, cross-entropy and argmax
            ignore them.
        """
        if isinstance(task_ids, int) or (isinstance(task_ids, Tensor) and task_ids.dim() == 0):
            return self.get_head(int(task_ids))(feature)
        if task_ids.shape != feature.shape[:1]:
            msg = f"HeadsMTL: task_ids has shape {tuple(task_ids.shape)}, expected ({feature.shape[0]},)."
            raise ValueError(msg)
        heads = {t: self.get_head(t) for t in (int(u) for u in torch.unique(task_ids))}
        width = max((h.out_features for h in heads.values()), default=0)
        out = feature.new_full((feature.shape[0], width), float("-inf"))
        for t, head in heads.items():
            rows = torch.nonzero(task_ids == t, as_tuple=True)[0]
            out[rows, : head.out_features] = head(feature[rows])
        return out


class HeadSTL(nn.Module):
    """Single-task head.

    Attributes (CLArena's): ``head`` (``None`` before ``setup_task``) and ``input_dim``.

    Parameters
    ----------
    input_dim
        Feature width ``D`` of the backbone.
    """

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.head: nn.Linear | None = None
        self.input_dim: int = input_dim

    def setup_task(self, num_classes: int) -> None:
        """Create (or replace) the head with ``num_classes`` outputs."""
        _check_num_classes(num_classes, "HeadSTL.setup_task")
        self.head = nn.Linear(self.input_dim, num_classes)

    def forward(self, feature: Tensor) -> Tensor:
        """``feature`` ``(B, D)`` -> ``(B, C)``."""
        if self.head is None:
            msg = "HeadSTL: the head is not set up. Call setup_task(num_classes) first."
            raise HeadNotSetUpError(msg)
        return self.head(feature)
