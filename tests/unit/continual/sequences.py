"""Tiny learnable task sequences and an MLP learner, for end-to-end checks of the algorithms."""

from __future__ import annotations

import torch
from torch import nn

from halite.continual.backbones import MLPBackbone, MLPConfig
from halite.continual.data import InputInfo, Samples, TaskData
from halite.continual.learner import Learner, Paradigm

WIDTH = 4


def mlp_learner(paradigm: Paradigm, hidden: int = 32, out: int = 32) -> Learner:
    """An MLP backbone (with parameters) over stream ``x`` of width ``WIDTH``, plus the paradigm's heads."""
    backbone = MLPBackbone("x", MLPConfig(hidden_layers=[hidden], output_size=out))
    backbone.build(InputInfo(variables={"x": [f"v{i}" for i in range(WIDTH)]}))
    return Learner(backbone, paradigm)


def _linear_task(task_id: int, n: int, seed: int) -> Samples:
    """Two classes split by a task-specific hyperplane: ``y = [x . w_t > 0]``."""
    w = torch.randn(WIDTH, generator=torch.Generator().manual_seed(100 + task_id))
    x = torch.randn(n, WIDTH, generator=torch.Generator().manual_seed(seed))
    return Samples({"x": x}, {}, (x @ w > 0).long(), torch.full((n,), task_id, dtype=torch.int64))


def linear_tasks(num_tasks: int = 3, n_train: int = 160, n_test: int = 80) -> list[TaskData]:
    """``num_tasks`` two-class tasks a linear classifier can learn; sample task ids ``1..num_tasks`` (CLArena's)."""
    return [
        TaskData(
            f"t{t}", ["no", "yes"], _linear_task(t, n_train, seed=t), _linear_task(t, n_test, seed=50 + t)
        )
        for t in range(1, num_tasks + 1)
    ]


def head(learner: Learner, task_id: int) -> nn.Linear:
    """The linear head that answers for task ``task_id`` (typed, for the tests)."""
    out = learner.heads.get_head(task_id)  # type: ignore[operator]
    assert isinstance(out, nn.Linear)
    return out
