"""Tiny learners and samples for the continual-learning unit tests."""

from __future__ import annotations

import torch
from torch import Tensor

from halite.continual.backbones import Backbone
from halite.continual.data import InputInfo, Samples, TaskData
from halite.continual.learner import Learner, Paradigm
from halite.typing import Masks, Tensors


class IdentityBackbone(Backbone):
    """Features = the flat input ``x`` ``(B, F)``: makes losses hand-computable."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.out_features = width

    def build(self, info: InputInfo) -> int:
        return self.out_features

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        return inputs["x"]


def samples(n: int, width: int, num_classes: int, task_id: int, seed: int = 0) -> Samples:
    g = torch.Generator().manual_seed(seed)
    return Samples(
        {"x": torch.randn(n, width, generator=g)},
        {},
        torch.randint(0, num_classes, (n,), generator=g),
        torch.full((n,), task_id, dtype=torch.int64),
    )


def learner(paradigm: Paradigm, width: int = 3) -> Learner:
    return Learner(IdentityBackbone(width), paradigm)


def tiny_tasks(num_tasks: int, width: int = 3) -> list[TaskData]:
    """``num_tasks`` two-class tasks with ids ``1..num_tasks`` (CLArena's): 40 train, 20 test samples each."""
    return [
        TaskData(
            f"t{t}",
            ["a", "b"],
            samples(40, width, 2, task_id=t, seed=t),
            samples(20, width, 2, task_id=t, seed=9 + t),
        )
        for t in range(1, num_tasks + 1)
    ]
