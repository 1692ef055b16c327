"""Independent: a fresh model per task, the task-aware upper reference."""

from __future__ import annotations

import copy

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.learner import Learner


class Independent(ContinualAlgorithm):
    """Train a freshly initialised model on every task and keep one model per task.

    Task ``i`` is always evaluated with the model trained on it, so nothing is forgotten by
    construction; the price is one model per task and no transfer between tasks.
    """

    def __init__(self) -> None:
        self.models: dict[int, Learner] = {}

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        if task_id == 1 and not self.models:
            return
        for module in learner.modules():
            reset = getattr(module, "reset_parameters", None)
            if module is not learner and callable(reset):
                reset()

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        self.models[task_id] = copy.deepcopy(learner).eval()

    def learner_for(self, learner: Learner, task_id: int) -> Learner:
        return self.models.get(task_id, learner)
