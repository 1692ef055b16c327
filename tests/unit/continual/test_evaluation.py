"""Scores per learner type, the random-initialisation reference and the loop's forward-transfer entries."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from halite.continual.algorithms import Finetuning
from halite.continual.data import TaskData
from halite.continual.evaluation import evaluate, random_init_scores
from halite.continual.loop import TrainingConfig, run_sequence
from halite.continual.regression import RegressionLearner
from tests.unit.continual.helpers import IdentityBackbone, learner, samples


def _tasks(paradigm_classes: int = 2) -> list[TaskData]:
    return [
        TaskData(
            f"t{t}",
            [str(c) for c in range(paradigm_classes)],
            samples(40, 3, paradigm_classes, t, seed=t),
            samples(30, 3, paradigm_classes, t, seed=10 + t),
        )
        for t in range(1, 4)  # task ids from 1
    ]


def test_evaluate_picks_accuracy_or_resolution() -> None:
    clf = learner("dil")
    clf.setup_task(0, 2)
    s = samples(20, 3, 2, 0)
    assert evaluate(clf, s, 0) == clf.accuracy(s, 0)
    reg = RegressionLearner(IdentityBackbone(3))
    reg.setup_task(0)
    s.y = s.y.float() + 1.0
    assert evaluate(reg, s, 0) == reg.resolution(s, 0)


@pytest.mark.parametrize("paradigm", ["til", "cil", "dil"])
def test_random_init_scores_are_the_untrained_model_and_leave_the_rng(paradigm: str) -> None:
    torch.manual_seed(3)
    lrn = learner(paradigm)  # type: ignore[arg-type]
    tasks = _tasks()
    state = torch.random.get_rng_state()
    b = random_init_scores(lrn, tasks)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert len(lrn.heads.state_dict()) == 0 or paradigm == "dil"  # the learner itself is untouched
    # head 0 of the copy is the head the loop creates first (same random numbers)
    torch.random.set_rng_state(state)
    ref = copy.deepcopy(lrn)
    for i, task in enumerate(tasks):
        ref.setup_task(i, task.num_classes)
        assert b[i] == pytest.approx(ref.accuracy(task.test, i))


def test_loop_scores_each_task_before_learning_it() -> None:
    torch.manual_seed(0)
    lrn = learner("til")
    tasks = _tasks()
    seen: list[float] = []

    class Probe(Finetuning):
        def before_task(self, learner, task_id, train):  # type: ignore[no-untyped-def]
            seen.append(learner.accuracy(tasks[task_id - 1].test, task_id))

    acc = run_sequence(lrn, Probe(), tasks, TrainingConfig(epochs=1, batch_size=16))
    assert acc[0, 1] == pytest.approx(seen[1]) and acc[1, 2] == pytest.approx(seen[2])
    assert np.isnan(acc[0, 2])
    assert np.all(np.isfinite(acc[np.tril_indices(3)]))
