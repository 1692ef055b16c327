"""Continual-learning algorithms: EWC against a hand computation, replay bound, LwF, Independent."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite.continual.algorithms import EWC, Independent, LwF, Replay
from halite.continual.algorithms.lwf import distillation_loss
from halite.continual.learner import Learner
from tests.unit.continual.helpers import learner, samples


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_ewc_fisher_and_penalty_match_hand_computation() -> None:
    lrn = learner("dil", width=3)
    lrn.setup_task(1, 2)
    data = samples(4, 3, 2, task_id=1, seed=1)
    ewc = EWC(lam=3.0, fisher_samples=-1, fisher_batch_size=1)
    ewc.after_task(lrn, 1, data)

    # softmax regression: d CE / dW = (p - onehot(y)) x^T, d CE / db = p - onehot(y)
    w = lrn.heads.get_head().weight.detach().numpy().astype(np.float64)
    b = lrn.heads.get_head().bias.detach().numpy().astype(np.float64)
    x = data.inputs["x"].numpy().astype(np.float64)
    err = _softmax(x @ w.T + b) - np.eye(2)[data.y.numpy()]
    fisher_w = np.mean([np.outer(e, xi) ** 2 for e, xi in zip(err, x)], axis=0)
    fisher_b = np.mean(err**2, axis=0)
    ((_anchor, fisher),) = ewc.consolidated
    np.testing.assert_allclose(fisher["heads.head.weight"].numpy(), fisher_w, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(fisher["heads.head.bias"].numpy(), fisher_b, rtol=1e-5, atol=1e-7)

    assert float(ewc.penalty(lrn)) == 0.0
    with torch.no_grad():
        lrn.heads.get_head().weight.add_(0.5)
        lrn.heads.get_head().bias.sub_(0.25)
    expected = 0.5 * 3.0 * (np.sum(fisher_w * 0.5**2) + np.sum(fisher_b * 0.25**2))
    assert float(ewc.penalty(lrn)) == pytest.approx(expected, rel=1e-5)
    # one penalty per consolidated task
    ewc.after_task(lrn, 2, data)
    assert len(ewc.consolidated) == 2
    assert float(ewc.penalty(lrn)) == pytest.approx(expected, rel=1e-5)
    fisher2 = ewc.consolidated[1][1]["heads.head.bias"].numpy()
    with torch.no_grad():
        lrn.heads.get_head().bias.add_(0.25)
    expected = 0.5 * 3.0 * (np.sum(fisher_w * 0.5**2) + np.sum(fisher2 * 0.25**2))
    assert float(ewc.penalty(lrn)) == pytest.approx(expected, rel=1e-5)
    # the penalty has gradients towards the anchor
    lrn.zero_grad()
    ewc.regularizer(lrn, data, torch.zeros(4, 3), 3).backward()
    assert lrn.heads.get_head().weight.grad is not None
    assert float(lrn.heads.get_head().weight.grad.abs().sum()) > 0


def test_ewc_rejects_bad_options() -> None:
    with pytest.raises(ValueError, match="lam must be >= 0"):
        EWC(lam=-1.0)
    with pytest.raises(ValueError, match="fisher_batch_size >= 1"):
        EWC(fisher_batch_size=0)


def test_replay_memory_bound_and_equal_shares() -> None:
    lrn = learner("til", width=3)
    replay = Replay(memory_size=10, batch_size=4)
    sizes = [25, 3, 40, 17]
    for t, n in enumerate(sizes, start=1):
        lrn.setup_task(t, 2)
        batch = samples(6, 3, 2, task_id=t, seed=t - 1)
        out = replay.augment(lrn, batch)
        assert len(out) == 6 + (0 if t == 1 else 4)
        if t > 1:
            assert set(out.task_ids[6:].tolist()) <= set(range(1, t))
        replay.after_task(lrn, t, samples(n, 3, 2, task_id=t, seed=10 + t - 1))
        assert replay.memory is not None
        assert len(replay.memory) <= 10
        counts = np.bincount(replay.memory.task_ids.numpy(), minlength=t + 1)[1:]  # tasks 1..t
        assert counts[-1] > 0 and counts.max() <= max(10 // t, 10 - counts[: t - 1].sum())
    assert len(replay.memory) == 10
    assert np.bincount(replay.memory.task_ids.numpy()).tolist() == [0, 2, 2, 2, 4]  # no task 0
    # replayed samples are scored with their own task's head
    assert torch.isfinite(lrn.loss(lrn.features(out), out))


def test_lwf_distils_old_heads_only_after_first_task() -> None:
    lrn = learner("til", width=3)
    lwf = LwF(alpha=2.0, temperature=2.0)
    data1, data2 = samples(8, 3, 2, 1, seed=1), samples(8, 3, 2, 2, seed=2)
    lrn.setup_task(1, 2)
    lwf.before_task(lrn, 1, data1)
    assert float(lwf.regularizer(lrn, data1, lrn.features(data1), 1)) == 0.0
    lwf.after_task(lrn, 1, data1)
    lrn.setup_task(2, 2)
    lwf.before_task(lrn, 2, data2)
    assert float(lwf.regularizer(lrn, data2, lrn.features(data2), 2)) == pytest.approx(0.0, abs=1e-7)
    with torch.no_grad():
        lrn.heads.get_head(1).weight.mul_(-1.0)
        lrn.heads.get_head(2).weight.mul_(5.0)  # the new head is not distilled
    new = lrn.heads.get_head(1)(data2.inputs["x"])
    old = lwf.old.heads.get_head(1)(data2.inputs["x"])  # type: ignore[union-attr]
    got = float(lwf.regularizer(lrn, data2, lrn.features(data2), 2))
    assert got == pytest.approx(2.0 * float(distillation_loss(new, old, 2.0)), rel=1e-5)
    assert got > 0


def test_distillation_loss_is_scaled_kl() -> None:
    new, old = torch.randn(5, 4), torch.randn(5, 4)
    p_old = torch.softmax(old / 3.0, dim=1)
    kl = (p_old * (p_old.log() - torch.log_softmax(new / 3.0, dim=1))).sum(1).mean()
    torch.testing.assert_close(distillation_loss(new, old, 3.0), kl * 9.0)


def test_lwf_on_cil_uses_old_columns() -> None:
    lrn = learner("cil", width=3)
    lrn.setup_task(1, 2)
    lrn.setup_task(2, 3)
    (out,) = lrn.distill_logits(torch.randn(4, 3), [1])
    assert out.shape == (4, 2)


def test_independent_keeps_one_model_per_task() -> None:
    lrn = learner("til", width=3)
    ind = Independent()
    lrn.setup_task(1, 2)
    w0 = lrn.heads.get_head(1).weight.detach().clone()
    ind.before_task(lrn, 1, samples(4, 3, 2, 1))
    assert torch.equal(lrn.heads.get_head(1).weight, w0)  # task 1 trains the initial weights
    ind.after_task(lrn, 1, samples(4, 3, 2, 1))
    lrn.setup_task(2, 2)
    ind.before_task(lrn, 2, samples(4, 3, 2, 2))
    assert not torch.equal(lrn.heads.get_head(1).weight, w0)  # fresh parameters
    ind.after_task(lrn, 2, samples(4, 3, 2, 2))
    snap = ind.learner_for(lrn, 1)
    assert isinstance(snap, Learner) and snap is not lrn
    torch.testing.assert_close(snap.heads.get_head(1).weight, w0)
    assert ind.learner_for(lrn, 5) is lrn
