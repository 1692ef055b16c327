"""Scoring a learner on a task: accuracy for classifiers, relative resolution for regressors.

``evaluate`` is what the loop calls for every entry of the score matrix;
``random_init_scores`` gives the reference ``b_i`` of forward transfer (the score on task
``i`` of the model at random initialisation, Lopez-Paz & Ranzato, GEM, arXiv:1706.08840).
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from halite.continual.data import Samples, TaskData
from halite.continual.learner import Learner
from halite.continual.regression import RegressionLearner


def evaluate(
    learner: Learner | RegressionLearner, samples: Samples, task_id: int, batch_size: int = 1024
) -> float:
    """Accuracy of a ``Learner``, relative resolution of a ``RegressionLearner``, on ``samples`` of task ``task_id``."""
    if isinstance(learner, RegressionLearner):
        return learner.resolution(samples, task_id, batch_size)
    return learner.accuracy(samples, task_id, batch_size)


def random_init_scores(
    learner: Learner | RegressionLearner, tasks: list[TaskData], batch_size: int = 1024, device: str = "cpu"
) -> np.ndarray:
    """``(T,)``: the score on every task of ``learner`` as it is now (call it before training).

    A copy of ``learner`` sets up the heads of tasks ``1..T`` in order, as the loop does
    (``out[i - 1]`` is task ``i``), and scores task ``i`` once its head exists. The torch random state is restored afterwards,
    so training draws the same numbers with or without this reference (and head ``1`` of the
    copy equals the head the loop will create).
    """
    out = np.full(len(tasks), np.nan)
    with torch.random.fork_rng(devices=[]):
        model = copy.deepcopy(learner)
        for i, task in enumerate(tasks, start=1):
            model.setup_task(i, task.num_classes)
            model.to(device)
            out[i - 1] = evaluate(model, task.test, i, batch_size)
    return out
