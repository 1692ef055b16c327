"""The loop calls every algorithm hook in order: backward -> after_backward -> step -> after_step."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.learner import Learner
from halite.continual.loop import TrainingConfig, train_task
from tests.unit.continual.helpers import learner, samples


class Recorder(ContinualAlgorithm):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.grad_seen = False
        self.before: Tensor | None = None

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        self.calls.append("regularizer")
        return feats.new_zeros(())

    def after_backward(self, learner: Learner, task_id: int) -> None:
        self.calls.append("after_backward")
        self.grad_seen = all(p.grad is not None for p in learner.parameters() if p.requires_grad)
        self.before = learner.heads.get_head(task_id).weight.detach().clone()

    def after_step(self, learner: Learner, task_id: int) -> None:
        self.calls.append("after_step")
        assert self.before is not None
        assert not torch.equal(
            self.before, learner.heads.get_head(task_id).weight
        )  # the step happened between


def test_hooks_run_once_per_step_in_order() -> None:
    torch.manual_seed(0)
    lrn = learner("til")
    lrn.setup_task(1, 2)
    algo = Recorder()
    train_task(lrn, algo, samples(20, 3, 2, 1), 1, TrainingConfig(epochs=1, batch_size=10, lr=0.1))
    assert algo.calls == ["regularizer", "after_backward", "after_step"] * 2
    assert algo.grad_seen


def test_default_state_is_empty_and_refuses_foreign_state() -> None:
    algo = ContinualAlgorithm()
    assert algo.state_dict() == {}
    algo.load_state_dict({})
    with pytest.raises(ValueError, match=r"keeps no state, but a state with \['fisher'\] was given"):
        algo.load_state_dict({"fisher": 1})
