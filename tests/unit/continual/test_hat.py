"""HAT: mask values, the s schedule, gradient and embedding compensation, sparsity, frozen units."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from halite import registry
from halite.continual.algorithms import HAT
from halite.continual.backbones import MLPBackbone, MLPConfig
from halite.continual.data import InputInfo
from halite.continual.learner import Learner
from halite.continual.loop import TrainingConfig, run_sequence, train_task
from tests.unit.continual.helpers import learner, samples, tiny_tasks


def mlp_learner(hidden: int = 4, out: int = 4, activation: str = "ReLU", dropout: float = 0.0) -> Learner:
    """``x (B, 3) -> Linear(3, hidden) -> act [-> dropout] -> Linear(hidden, out) -> act``, one head per task."""
    mlp = MLPConfig(hidden_layers=[hidden], output_size=out, activation=activation, dropout=dropout)  # type: ignore[arg-type]
    backbone = MLPBackbone("x", mlp)
    backbone.build(InputInfo(variables={"x": ["a", "b", "c"]}))
    return Learner(backbone, "til")


def _linears(lrn: Learner) -> list[nn.Linear]:
    return [m for m in lrn.backbone.modules() if isinstance(m, nn.Linear)]


def test_mask_values_and_the_task_view() -> None:
    torch.manual_seed(0)
    lrn = mlp_learner(activation="Sigmoid")  # sigmoid(0) != 0: the mask acts after the activation
    hat = HAT(s_max=4.0)
    d = samples(5, 3, 2, task_id=3)
    lrn.setup_task(3, 2)
    hat.before_task(lrn, 3, d)
    e = [torch.tensor([0.5, -1.0, 0.0, 2.0]), torch.tensor([1.0, -0.25, 0.3, -2.0])]
    with torch.no_grad():
        for p, v in zip(hat.embeddings["3"], e):
            p.copy_(v)
    hat.after_task(lrn, 3, d)
    l0, l1 = _linears(lrn)
    x = d.inputs["x"]
    h = torch.sigmoid(l0(x)) * torch.sigmoid(4.0 * e[0])
    expected = torch.sigmoid(l1(h)) * torch.sigmoid(4.0 * e[1])
    view = hat.learner_for(lrn, 3)
    assert torch.allclose(view.features(d), expected, atol=1e-6)
    assert torch.allclose(lrn.features(d), torch.sigmoid(l1(torch.sigmoid(l0(x)))))  # unmasked outside HAT
    np.testing.assert_allclose(
        hat.mask(3, 4.0)[1].detach().numpy(), 1 / (1 + np.exp(-4.0 * e[1].numpy())), rtol=1e-6
    )
    for a, v in zip(hat.cumulative or [], e):
        assert torch.allclose(a, torch.sigmoid(4.0 * v))
    with pytest.raises(ValueError, match=r"no embedding for task 9; it has tasks \['3'\]"):
        hat.learner_for(lrn, 9)


def test_mask_follows_dropout_of_a_hidden_layer() -> None:
    torch.manual_seed(0)
    lrn = mlp_learner(activation="Tanh", dropout=0.5)
    assert [type(m).__name__ for m in lrn.backbone.net.net] == ["Linear", "Tanh", "Dropout", "Linear", "Tanh"]  # type: ignore[union-attr]
    hat = HAT(s_max=2.0)
    d = samples(5, 3, 2, task_id=0)
    lrn.setup_task(0, 2)
    hat.before_task(lrn, 0, d)
    hat.after_task(lrn, 0, d)
    view = hat.learner_for(lrn, 0).eval()
    l0, l1 = _linears(lrn)
    e0, e1 = hat.embeddings["0"]
    expected = torch.tanh(l1(torch.tanh(l0(d.inputs["x"])) * torch.sigmoid(2 * e0))) * torch.sigmoid(2 * e1)
    assert torch.allclose(view.features(d), expected, atol=1e-6)


def test_scale_schedule_over_the_batches_of_each_epoch() -> None:
    s_max = 10.0
    hat = HAT(s_max=s_max)
    lrn = mlp_learner()
    lrn.setup_task(0, 2)
    d = samples(10, 3, 2, task_id=0)  # batch size 3: 4 batches per epoch
    hat.before_task(lrn, 0, d)
    seen = []
    for _ in range(2):
        for start in range(0, 10, 3):
            hat.augment(lrn, d.take(torch.arange(start, min(start + 3, 10))))
            assert hat._active is not None
            seen.append(hat._active[1])
    expected = [1 / s_max + (s_max - 1 / s_max) * (b - 1) / 3 for b in (1, 2, 3, 4)]
    np.testing.assert_allclose(seen, expected * 2, rtol=1e-12)
    assert hat.scale(1, 1) == s_max


def test_gradient_and_embedding_compensation() -> None:
    torch.manual_seed(0)
    lrn = mlp_learner(hidden=3, out=2)
    hat = HAT(s_max=400.0)
    lrn.setup_task(0, 2)
    hat.before_task(lrn, 0, samples(4, 3, 2, task_id=0))
    prev = [torch.tensor([1.0, 0.25, 0.0]), torch.tensor([0.5, 1.0])]
    hat.cumulative = [p.clone() for p in prev]
    s = 7.0
    hat._active = (0, s)
    l0, l1 = _linears(lrn)
    for p in [*lrn.parameters()]:
        p.grad = torch.ones_like(p)
    hat.after_backward(lrn, 0)
    # eq. 2: 1 - min(a_out_i, a_in_j); the first layer's inputs are unmasked (a = 1)
    assert torch.equal(l0.weight.grad, (1 - prev[0])[:, None].expand(3, 3))
    assert torch.equal(l0.bias.grad, 1 - prev[0])
    w1 = torch.tensor([[1 - min(float(a), float(b)) for b in prev[0]] for a in prev[1]])
    assert torch.allclose(l1.weight.grad, w1)
    assert torch.equal(l1.bias.grad, 1 - prev[1])
    for e in hat.embeddings["0"]:
        v = e.detach().double().numpy()
        comp = 400.0 * (np.cosh(np.clip(s * v, -50, 50)) + 1) / (s * (np.cosh(v) + 1))
        np.testing.assert_allclose(e.grad.double().numpy(), comp, rtol=1e-5)
    head = lrn.heads.get_head(0)
    assert torch.equal(head.weight.grad, torch.ones_like(head.weight))  # heads are not masked


def test_sparsity_regularizer_by_hand() -> None:
    lrn = mlp_learner(hidden=2, out=2)
    hat = HAT(s_max=400.0, c=0.5)
    lrn.setup_task(0, 2)
    d = samples(4, 3, 2, task_id=0)
    hat.before_task(lrn, 0, d)
    e = [torch.tensor([0.0, 1.0]), torch.tensor([-1.0, 0.5])]
    with torch.no_grad():
        for p, v in zip(hat.embeddings["0"], e):
            p.copy_(v)
    s = 2.0
    hat._active = (0, s)
    a = [1 / (1 + np.exp(-s * v.numpy())) for v in e]
    assert float(hat.regularizer(lrn, d, torch.zeros(4, 2), 0)) == pytest.approx(
        0.5 * np.concatenate(a).mean()
    )
    prev = [np.array([1.0, 0.0]), np.array([0.25, 0.5])]
    hat.cumulative = [torch.tensor(p, dtype=torch.float32) for p in prev]
    num = sum((ai * (1 - pi)).sum() for ai, pi in zip(a, prev))
    den = sum((1 - pi).sum() for pi in prev)
    assert float(hat.regularizer(lrn, d, torch.zeros(4, 2), 0)) == pytest.approx(0.5 * num / den, rel=1e-6)


def test_units_of_task_one_stay_frozen_while_training_task_two() -> None:
    torch.manual_seed(0)
    lrn = mlp_learner(hidden=4, out=4, activation="Tanh")  # no dead units
    hat = HAT()
    cfg = TrainingConfig(epochs=3, batch_size=8, lr=0.05)  # Adam
    d1, d2 = samples(24, 3, 2, task_id=1, seed=1), samples(24, 3, 2, task_id=2, seed=2)
    lrn.setup_task(1, 2)
    hat.before_task(lrn, 1, d1)
    train_task(lrn, hat, d1, 1, cfg)
    with torch.no_grad():  # a binary mask at s_max: units 0, 1 of both layers used by task 1
        for e in hat.embeddings["1"]:
            e.copy_(torch.tensor([1.0, 1.0, -1.0, -1.0]))
    hat.after_task(lrn, 1, d1)
    assert hat.cumulative is not None
    assert [a.tolist() for a in hat.cumulative] == [[1.0, 1.0, 0.0, 0.0]] * 2
    l0, l1 = _linears(lrn)
    w0, b0, w1 = l0.weight.detach().clone(), l0.bias.detach().clone(), l1.weight.detach().clone()
    feats1 = hat.learner_for(lrn, 1).features(d1).detach().clone()

    lrn.setup_task(2, 2)
    hat.before_task(lrn, 2, d2)
    train_task(lrn, hat, d2, 2, cfg)
    hat.after_task(lrn, 2, d2)
    assert torch.equal(l0.weight[:2], w0[:2]) and torch.equal(l0.bias[:2], b0[:2])
    assert torch.equal(l1.weight[:2, :2], w1[:2, :2])
    assert not torch.equal(l0.weight[2:], w0[2:])  # free units learn task 2
    assert not torch.equal(l1.weight[:2, 2:], w1[:2, 2:])  # used units' inputs from free units learn too
    assert torch.equal(hat.learner_for(lrn, 1).features(d1), feats1)  # task 1 answers as before


def test_bad_options_backbones_paradigms_and_state() -> None:
    with pytest.raises(ValueError, match="s_max must be >= 1"):
        HAT(s_max=0.5)
    with pytest.raises(ValueError, match="c must be >= 0"):
        HAT(c=-0.1)
    with pytest.raises(
        ValueError, match="supports a built halite.continual.MLPBackbone, got IdentityBackbone"
    ):
        HAT().attach(learner("til"))
    with pytest.raises(ValueError, match="use the 'til' paradigm, not 'cil'"):
        HAT().attach(Learner(mlp_learner().backbone, "cil"))
    lrn = mlp_learner()
    hat = HAT()
    for t in (0, 1):
        lrn.setup_task(t, 2)
        hat.before_task(lrn, t, samples(4, 3, 2, task_id=t))
        hat.after_task(lrn, t, samples(4, 3, 2, task_id=t))
    other = HAT()
    other.load_state_dict(hat.state_dict())
    assert sorted(other.embeddings) == ["0", "1"] and other.cumulative is not None
    for t in ("0", "1"):
        for a, b in zip(other.embeddings[t], hat.embeddings[t]):
            assert torch.equal(a, b)
    fresh = mlp_learner()
    fresh.setup_task(0, 2)
    fresh.setup_task(1, 2)
    other.attach(fresh)
    fresh.load_state_dict(lrn.state_dict())  # the learner's state includes hat_embeddings
    d = samples(4, 3, 2, task_id=1)
    assert torch.equal(other.learner_for(fresh, 1).features(d), hat.learner_for(lrn, 1).features(d))
    with pytest.raises(ValueError, match="HAT state needs the keys"):
        other.load_state_dict({"embeddings": {}})
    wide = mlp_learner(hidden=5)
    with pytest.raises(ValueError, match=r"have widths \[4, 4\], the backbone \[5, 4\]"):
        other.attach(wide)


def test_hat_end_to_end() -> None:
    assert registry.get("continual-algorithms", "HAT") is HAT  # usable as halite.continual.HAT in YAML
    torch.manual_seed(0)
    tasks = tiny_tasks(3)
    hat = HAT()
    acc = run_sequence(
        mlp_learner(hidden=8, out=8), hat, tasks, TrainingConfig(epochs=2, batch_size=16, lr=0.05)
    )
    assert acc.shape == (3, 3) and np.isfinite(acc[2]).all()
    assert sorted(hat.embeddings) == ["1", "2", "3"] and hat._active is None
    assert all(math.isfinite(float(a.sum())) for a in hat.cumulative or [])
