"""SI: the path integral, the importance and the surrogate loss against a hand computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite import registry
from halite.continual.algorithms import SI
from halite.continual.loop import TrainingConfig, run_sequence, train_task
from tests.unit.continual.helpers import learner, samples, tiny_tasks


def _grad(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy gradient of softmax regression ``softmax(x W^T + b)``."""
    z = x @ w.T + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    err = (p - np.eye(w.shape[0])[y]) / len(y)
    return err.T @ x, err.sum(axis=0)


def test_si_omega_and_surrogate_match_hand_computation() -> None:
    torch.manual_seed(0)
    lrn = learner("dil", width=3)
    lrn.setup_task(0, 2)
    head = lrn.heads.get_head()
    lr, c, xi = 0.5, 0.3, 1e-3
    si = SI(c=c, xi=xi)
    cfg = TrainingConfig(epochs=3, batch_size=100, optimizer="sgd", lr=lr)  # full batch: 3 plain SGD steps
    data = [samples(8, 3, 2, task_id=t, seed=t + 1) for t in range(2)]
    names = {id(p): n for n, p in lrn.named_parameters()}
    w_name, b_name = names[id(head.weight)], names[id(head.bias)]

    theta = [head.weight.detach().double().numpy().copy(), head.bias.detach().double().numpy().copy()]
    omega = [np.zeros_like(t) for t in theta]
    anchor = [t.copy() for t in theta]
    for t, d in enumerate(data):
        x, y = d.inputs["x"].double().numpy(), d.y.numpy()
        start = [v.copy() for v in theta]
        path = [np.zeros_like(v) for v in theta]
        for _ in range(cfg.epochs):
            g_task = _grad(*theta, x, y)
            g_total = [
                g + (2 * c * o * (v - a) if t else 0.0) for g, o, v, a in zip(g_task, omega, theta, anchor)
            ]
            step = [-lr * g for g in g_total]
            path = [w - g * s for w, g, s in zip(path, g_task, step)]  # omega_k += -g_k delta_theta_k
            theta = [v + s for v, s in zip(theta, step)]
        omega = [o + w / ((v - s0) ** 2 + xi) for o, w, v, s0 in zip(omega, path, theta, start)]
        anchor = [v.copy() for v in theta]

        si.before_task(lrn, t, d)
        train_task(lrn, si, d, t, cfg)
        si.after_task(lrn, t, d)
        np.testing.assert_allclose(head.weight.detach().numpy(), theta[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(si.omega[w_name].numpy(), omega[0], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(si.omega[b_name].numpy(), omega[1], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(si.anchor[b_name].numpy(), theta[1], rtol=1e-5, atol=1e-6)
    assert float(np.abs(omega[0]).sum()) > 0

    # surrogate c * sum Omega (theta - theta*)^2 and its gradient
    assert float(si.surrogate(lrn)) == 0.0
    with torch.no_grad():
        head.weight.add_(0.2)
    expected = c * np.sum(omega[0] * 0.2**2)
    assert float(si.surrogate(lrn)) == pytest.approx(expected, rel=1e-5)
    lrn.zero_grad()
    si.regularizer(lrn, data[0], torch.zeros(8, 3), 2).backward()
    np.testing.assert_allclose(head.weight.grad.numpy(), 2 * c * omega[0] * 0.2, rtol=1e-5, atol=1e-7)


def test_si_state_round_trip_and_bad_options() -> None:
    lrn = learner("til", width=3)
    lrn.setup_task(5, 2)
    si = SI()
    d = samples(10, 3, 2, task_id=5)
    si.before_task(lrn, 5, d)
    train_task(lrn, si, d, 5, TrainingConfig(epochs=1, batch_size=5, optimizer="sgd", lr=0.1))
    si.after_task(lrn, 5, d)
    other = SI()
    other.load_state_dict(si.state_dict())
    assert set(other.omega) == set(si.omega) == {n for n, _ in lrn.named_parameters()}
    for n in si.omega:
        assert torch.equal(other.omega[n], si.omega[n]) and torch.equal(other.anchor[n], si.anchor[n])
    with pytest.raises(ValueError, match=r"SI state needs the keys"):
        other.load_state_dict({"omega": {}})
    with pytest.raises(ValueError, match=r"SI.c must be >= 0, got -1"):
        SI(c=-1)
    with pytest.raises(ValueError, match=r"SI.xi must be > 0"):
        SI(xi=0.0)


def test_si_end_to_end() -> None:
    assert registry.get("continual-algorithms", "SI") is SI  # usable as halite.continual.SI in YAML
    torch.manual_seed(0)
    tasks = tiny_tasks(2)
    si = SI(c=1.0)
    acc = run_sequence(learner("dil", width=3), si, tasks, TrainingConfig(epochs=2, batch_size=16, lr=0.05))
    assert acc.shape == (2, 2) and np.isfinite(acc).all()  # acc[0, 1]: task 2 before learning it
    assert si.omega and si.path == {}
