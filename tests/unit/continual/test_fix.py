"""Fix: the backbone is theta_backbone(task 1) for every later task; only the new heads train."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite.continual import Fix
from halite.continual.loop import TrainingConfig, run_sequence, train_task
from tests.unit.continual.sequences import head, linear_tasks, mlp_learner

CFG = TrainingConfig(epochs=2, batch_size=32, lr=0.05)


def _backbone(learner: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in learner.backbone.state_dict().items()}  # type: ignore[union-attr]


@pytest.mark.parametrize("paradigm", ["til", "cil", "dil"])
@pytest.mark.parametrize("first_id", [0, 1])
def test_backbone_fixed_after_first_task_heads_train(paradigm: str, first_id: int) -> None:
    torch.manual_seed(0)
    lrn = mlp_learner(paradigm)  # type: ignore[arg-type]
    fix = Fix()
    init = _backbone(lrn)
    after_first: dict[str, torch.Tensor] = {}
    for k, task in enumerate(linear_tasks(3)):
        t = first_id + k  # the ids the loop passes, whatever they start from
        task.train.task_ids.fill_(t)
        lrn.setup_task(t, task.num_classes)
        task_head = head(lrn, t)
        head0 = {n: p.detach().clone() for n, p in task_head.named_parameters()}
        fix.before_task(lrn, t, task.train)
        train_task(lrn, fix, task.train, t, CFG)
        fix.after_task(lrn, t, task.train)
        if k == 0:
            after_first = _backbone(lrn)
            assert any(not torch.equal(init[n], after_first[n]) for n in init)  # the first task trains it
        else:
            for n, v in _backbone(lrn).items():
                assert torch.equal(v, after_first[n]), n
            assert not lrn.backbone.training  # frozen backbone ran in eval mode
        assert any(not torch.equal(p, head0[n]) for n, p in task_head.named_parameters())  # the head learns
    assert fix.frozen
    assert all(not p.requires_grad for p in lrn.backbone.parameters())
    assert all(p.requires_grad for p in lrn.heads.parameters())


def test_first_task_trains_in_train_mode() -> None:
    lrn = mlp_learner("til")
    fix = Fix()
    lrn.train()
    fix.augment(lrn, linear_tasks(1)[0].train)
    assert lrn.backbone.training
    fix.after_task(lrn, 7, linear_tasks(1)[0].train)
    fix.augment(lrn, linear_tasks(1)[0].train)
    assert not lrn.backbone.training and lrn.heads.training


def test_state_dict_round_trip_and_bad_state() -> None:
    fix = Fix()
    assert fix.state_dict() == {"frozen": False}
    fix.after_task(mlp_learner("til"), 0, linear_tasks(1)[0].train)
    other = Fix()
    other.load_state_dict(fix.state_dict())
    assert other.frozen
    lrn = mlp_learner("til")
    other.before_task(lrn, 3, linear_tasks(1)[0].train)  # a resumed run freezes at the next task
    assert all(not p.requires_grad for p in lrn.backbone.parameters())
    with pytest.raises(ValueError, match=r"expects \{'frozen': bool\}"):
        Fix().load_state_dict({"frozen": 1})
    with pytest.raises(ValueError, match="expects"):
        Fix().load_state_dict({})


def test_run_sequence_trains_without_forgetting_in_til() -> None:
    torch.manual_seed(0)
    cfg = TrainingConfig(epochs=15, batch_size=32, lr=0.02)
    acc = run_sequence(mlp_learner("til"), Fix(), linear_tasks(3), cfg, log=lambda _: None)
    assert acc.shape == (3, 3)
    assert acc[0, 0] > 0.9
    assert np.all(np.diag(acc)[1:] > 0.6)  # later heads learn on the first task's features (chance: ~0.5)
    assert np.all(
        acc[:, 0] == acc[0, 0]
    )  # task-incremental: fixed backbone + untouched head 0 forget nothing
