"""Random: the backbone is theta_backbone(initialisation) for every task; only the heads train."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite.continual import Random
from halite.continual.loop import TrainingConfig, run_sequence, train_task
from tests.unit.continual.sequences import head, linear_tasks, mlp_learner

CFG = TrainingConfig(epochs=2, batch_size=32, lr=0.05)


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("paradigm", ["til", "cil", "dil"])
@pytest.mark.parametrize("first_id", [0, 1])
def test_backbone_stays_at_initialisation_heads_train(paradigm: str, first_id: int) -> None:
    torch.manual_seed(0)
    lrn = mlp_learner(paradigm)  # type: ignore[arg-type]
    algo = Random()
    init = _state(lrn.backbone)
    for k, task in enumerate(linear_tasks(3)):
        t = first_id + k
        task.train.task_ids.fill_(t)
        lrn.setup_task(t, task.num_classes)
        task_head = head(lrn, t)
        head0 = _state(task_head)
        algo.before_task(lrn, t, task.train)
        train_task(lrn, algo, task.train, t, CFG)
        algo.after_task(lrn, t, task.train)
        for n, v in _state(lrn.backbone).items():
            assert torch.equal(v, init[n]), n
        assert not lrn.backbone.training
        assert any(not torch.equal(v, head0[n]) for n, v in _state(task_head).items())
    assert all(not p.requires_grad for p in lrn.backbone.parameters())


def test_train_heads_false_trains_nothing() -> None:
    torch.manual_seed(0)
    lrn = mlp_learner("til")
    algo = Random(train_heads=False)
    task = linear_tasks(1)[0]
    lrn.setup_task(1, 2)
    init = _state(lrn)
    algo.before_task(lrn, 1, task.train)
    train_task(lrn, algo, task.train, 1, TrainingConfig(epochs=2, batch_size=32, lr=0.05, weight_decay=0.1))
    for n, v in _state(lrn).items():
        assert torch.equal(v, init[n]), n
    assert not lrn.training


def test_options_and_state() -> None:
    with pytest.raises(ValueError, match="train_heads must be True or False"):
        Random(train_heads="yes")  # type: ignore[arg-type]
    assert Random().state_dict() == {}
    with pytest.raises(ValueError, match="keeps no state"):
        Random().load_state_dict({"frozen": True})


def test_run_sequence_trains() -> None:
    torch.manual_seed(0)
    cfg = TrainingConfig(epochs=15, batch_size=32, lr=0.02)
    acc = run_sequence(mlp_learner("til"), Random(), linear_tasks(3), cfg, log=lambda _: None)
    assert np.all(np.diag(acc) > 0.8)  # linear heads on 32 random ReLU features (chance: ~0.5)
    assert np.all(acc[:, 0] == acc[0, 0])  # task-incremental: nothing shared changes
