"""Experience replay from a bounded memory of earlier tasks' samples."""

from __future__ import annotations

from typing import Any

import torch

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.learner import Learner


class Replay(ContinualAlgorithm):
    """Experience replay (Chaudhry et al., "On tiny episodic memories in continual learning", arXiv:1902.10486).

    After each task a random subset of its training samples enters the memory, which is
    shared equally between the tasks seen so far and never holds more than
    ``memory_size`` samples (older tasks give up samples as new ones arrive). Every
    training batch is extended with ``batch_size`` samples drawn from the memory; each
    replayed sample is scored with its own task's labels and head.

    Parameters
    ----------
    memory_size
        Most samples kept over all tasks.
    batch_size
        Replayed samples added to every training batch.
    """

    def __init__(self, memory_size: int = 200, batch_size: int = 32) -> None:
        if memory_size < 1 or batch_size < 1:
            msg = f"Replay needs memory_size >= 1 and batch_size >= 1; got {memory_size}, {batch_size}."
            raise ValueError(msg)
        self.memory_size = memory_size
        self.batch_size = batch_size
        self.memory: Samples | None = None

    def augment(self, learner: Learner, batch: Samples) -> Samples:
        if self.memory is None or len(self.memory) == 0:
            return batch
        k = min(self.batch_size, len(self.memory))
        replayed = self.memory.take(torch.randperm(len(self.memory))[:k]).to(batch.y.device)
        return Samples.cat([batch, replayed])

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        old = self.memory
        tasks = [] if old is None else sorted(set(old.task_ids.tolist()))
        quota = self.memory_size // (len(tasks) + 1)
        parts = []
        if old is not None and quota > 0:
            for t in tasks:
                rows = torch.nonzero(old.task_ids == t, as_tuple=True)[0][:quota]
                parts.append(old.take(rows))
        new_quota = self.memory_size - sum(len(p) for p in parts)
        parts.append(train.take(torch.randperm(len(train))[: min(new_quota, len(train))]))
        self.memory = Samples.cat(parts)
        assert len(self.memory) <= self.memory_size

    def state_dict(self) -> dict[str, Any]:
        """The memory's samples as tensors (``None`` before the first task ends)."""
        m = self.memory
        if m is None:
            return {"memory": None}
        return {
            "memory": {
                "inputs": dict(m.inputs),
                "pad_masks": dict(m.pad_masks),
                "y": m.y,
                "task_ids": m.task_ids,
            }
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != {"memory"}:
            msg = f"Replay state needs the key 'memory', got {sorted(state)}."
            raise ValueError(msg)
        m = state["memory"]
        self.memory = (
            None if m is None else Samples(dict(m["inputs"]), dict(m["pad_masks"]), m["y"], m["task_ids"])
        )
