"""The task loops count tasks from 1 (CLArena's convention): heads, hooks, logs and the accuracy matrix."""

from __future__ import annotations

import numpy as np
import torch

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples, TaskData
from halite.continual.learner import Learner
from halite.continual.loop import TrainingConfig, run_multitask, run_sequence, run_single_tasks
from tests.unit.continual.helpers import learner, samples

CFG = TrainingConfig(epochs=1, batch_size=8, lr=0.05)


def tasks(n: int = 2) -> list[TaskData]:
    return [
        TaskData(
            f"t{i}",
            ["a", "b"],
            samples(16, 3, 2, task_id=i, seed=i),
            samples(8, 3, 2, task_id=i, seed=20 + i),
        )
        for i in range(1, n + 1)
    ]


class Ids(ContinualAlgorithm):
    """Records the task ids the hooks see."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        self.seen.append(("before", task_id))

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        self.seen.append(("after", task_id))

    def learner_for(self, learner: Learner, task_id: int) -> Learner:
        self.seen.append(("eval", task_id))
        return learner


def test_run_sequence_numbers_tasks_from_1() -> None:
    torch.manual_seed(0)
    lrn, algo, lines = learner("til"), Ids(), []
    acc = run_sequence(lrn, algo, tasks(), CFG, log=lines.append)
    assert algo.seen == [
        ("before", 1),
        ("after", 1),
        ("eval", 1),
        ("before", 2),
        ("eval", 2),  # task 2 scored before learning it (forward transfer)
        ("after", 2),
        ("eval", 1),
        ("eval", 2),
    ]
    assert list(lrn.heads.heads) == ["1", "2"]  # type: ignore[union-attr]
    assert acc.shape == (2, 2) and np.all(np.isfinite(acc))  # acc[0, 1]: task 2 before learning it
    assert lines[0].startswith("task 1/2 't1'") and "accuracy on tasks 1..2" in lines[1]


def test_run_multitask_and_single_tasks_number_tasks_from_1() -> None:
    torch.manual_seed(0)
    lrn = learner("mtl")
    accuracy = run_multitask(lrn, tasks(3), CFG, log=lambda _: None)
    assert list(lrn.heads.heads) == ["1", "2", "3"] and len(accuracy) == 3  # type: ignore[union-attr]
    accuracy, single = run_single_tasks(lambda: learner("stl"), tasks(2), CFG, log=lambda _: None)
    assert len(accuracy) == 2 and all(
        list(s.heads.state_dict()) == ["head.weight", "head.bias"] for s in single
    )
