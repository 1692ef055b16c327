"""A-GEM: the projection formula, the hook's saved / restored gradients, the memory."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite import registry
from halite.continual.algorithms import AGEM
from halite.continual.algorithms.agem import project
from halite.continual.data import Samples
from halite.continual.learner import Learner
from halite.continual.loop import TrainingConfig, run_sequence
from tests.unit.continual.helpers import learner, samples, tiny_tasks


def test_project_formula_by_hand() -> None:
    g, g_ref = torch.tensor([1.0, 0.0, 2.0]), torch.tensor([-1.0, 1.0, 0.0])
    # g . g_ref = -1, g_ref . g_ref = 2: g + 0.5 g_ref
    out = project(g, g_ref)
    assert torch.allclose(out, torch.tensor([0.5, 0.5, 2.0]))
    assert float(torch.dot(out, g_ref)) >= -1e-7
    same = torch.tensor([1.0, 3.0, -1.0])  # g . g_ref = 2 > 0: unchanged
    assert torch.equal(project(same, g_ref), same)


def _flat_grad(lrn: Learner, data: Samples) -> torch.Tensor:
    lrn.zero_grad(set_to_none=True)
    lrn.loss(lrn.features(data), data).backward()
    out = torch.cat([p.grad.flatten().clone() for p in lrn.parameters()])
    lrn.zero_grad(set_to_none=True)
    return out


@pytest.mark.parametrize("conflict", [True, False])
def test_after_backward_projects_only_on_conflict(conflict: bool) -> None:
    torch.manual_seed(0)
    lrn = learner("dil", width=3)
    lrn.setup_task(0, 2)
    with torch.no_grad():  # uniform predictions: flipping the labels flips the gradient
        lrn.heads.get_head().weight.zero_()
        lrn.heads.get_head().bias.zero_()
    batch = samples(12, 3, 2, task_id=1, seed=3)
    # memory = the batch with its labels flipped (or not) and 4 other samples: g_ref . g < 0 (or > 0)
    mem = Samples.cat(
        [
            Samples(
                batch.inputs, {}, 1 - batch.y if conflict else batch.y, torch.zeros(12, dtype=torch.int64)
            ),
            samples(4, 3, 2, task_id=0, seed=4),
        ]
    )
    agem = AGEM(memory_per_task=100, ref_batch_size=100)
    agem.after_task(lrn, 0, mem)
    assert len(agem.memory[0]) == 16

    g, g_ref = _flat_grad(lrn, batch), _flat_grad(lrn, mem)
    dot = float(torch.dot(g, g_ref))
    assert (dot < 0) == conflict
    lrn.loss(lrn.features(batch), batch).backward()
    agem.after_backward(lrn, 1)
    out = torch.cat([p.grad.flatten() for p in lrn.parameters()])
    if conflict:
        expected = g.double() - dot / float(torch.dot(g_ref, g_ref)) * g_ref.double()
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-7)
        assert float(torch.dot(out, g_ref)) >= -1e-6
        assert agem.projections == 1
    else:
        assert torch.allclose(out, g, atol=1e-7)
        assert agem.projections == 0


def test_no_memory_leaves_gradients_and_none_stays_none() -> None:
    lrn = learner("til", width=3)
    lrn.setup_task(0, 2)
    lrn.setup_task(1, 2)
    batch = samples(6, 3, 2, task_id=1)
    agem = AGEM()
    lrn.loss(lrn.features(batch), batch).backward()
    grads = [None if p.grad is None else p.grad.clone() for p in lrn.parameters()]
    agem.after_backward(lrn, 1)
    for p, g in zip(lrn.parameters(), grads):
        assert (p.grad is None and g is None) or torch.equal(p.grad, g)
    assert any(g is None for g in grads)  # task 0's head has no gradient


def test_state_round_trip_and_bad_options() -> None:
    agem = AGEM(memory_per_task=5)
    lrn = learner("til", width=3)
    agem.after_task(lrn, 7, samples(20, 3, 2, task_id=7))
    agem.after_task(lrn, 8, samples(3, 3, 2, task_id=8))
    other = AGEM()
    other.load_state_dict(agem.state_dict())
    assert sorted(other.memory) == [7, 8] and len(other.memory[7]) == 5 and len(other.memory[8]) == 3
    assert torch.equal(other.memory[7].inputs["x"], agem.memory[7].inputs["x"])
    with pytest.raises(ValueError, match="AGEM state needs the key 'memory'"):
        other.load_state_dict({})
    with pytest.raises(ValueError, match="memory_per_task >= 1"):
        AGEM(memory_per_task=0)


def test_agem_end_to_end() -> None:
    assert registry.get("continual-algorithms", "AGEM") is AGEM  # usable as halite.continual.AGEM in YAML
    torch.manual_seed(0)
    tasks = tiny_tasks(3)
    agem = AGEM(memory_per_task=10, ref_batch_size=16)
    acc = run_sequence(learner("til", width=3), agem, tasks, TrainingConfig(epochs=2, batch_size=16, lr=0.05))
    assert acc.shape == (3, 3) and np.isfinite(acc[2]).all()
    assert sorted(agem.memory) == [1, 2, 3] and agem.steps == 6
