"""The regression learner: MSE routed per task, the relative resolution, the continual loop with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite.continual.algorithms import EWC, LwF, Replay
from halite.continual.data import Samples, TaskData
from halite.continual.loop import TrainingConfig, run_sequence
from halite.continual.regression import RegressionLearner, relative_resolution
from tests.unit.continual.helpers import IdentityBackbone


def reg_samples(n: int, width: int, task_id: int, seed: int = 0) -> Samples:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, width, generator=g)
    y = 2.0 + x @ torch.linspace(0.5, -0.5, width) * 0.3 + 0.05 * torch.randn(n, generator=g)
    return Samples({"x": x}, {}, y, torch.full((n,), task_id, dtype=torch.int64))


def test_relative_resolution_against_its_definition() -> None:
    target = torch.linspace(1.0, 3.0, 101, dtype=torch.float64)
    r = torch.sin(torch.arange(101, dtype=torch.float64)) * 0.1 + 0.02
    pred = target * (1 + r)
    q25, q75 = np.percentile(r.numpy(), [25, 75])
    iqr = (q75 - q25) / 1.349
    med = 1 + np.median(r.numpy())
    assert relative_resolution(pred, target, "iqr", False) == pytest.approx(iqr)
    assert relative_resolution(pred, target, "std", False) == pytest.approx(float(r.std(unbiased=False)))
    assert relative_resolution(pred, target) == pytest.approx(iqr / med)
    # the response-normalised width does not change when the prediction is scaled
    assert relative_resolution(3.0 * pred, target) == pytest.approx(iqr / med)
    assert relative_resolution(0 * pred - 1, target) == float("inf")  # median response <= 0
    # a Gaussian: IQR / 1.349 estimates sigma
    g = torch.Generator().manual_seed(0)
    t = torch.ones(200_000, dtype=torch.float64)
    assert relative_resolution(
        t * (1 + 0.1 * torch.randn(200_000, generator=g, dtype=torch.float64)), t, "iqr", False
    ) == pytest.approx(0.1, rel=0.01)
    with pytest.raises(ValueError, match="Unknown resolution statistic 'mad'"):
        relative_resolution(pred, target, "mad")  # type: ignore[arg-type]


def test_til_outputs_and_mse_routed_by_task() -> None:
    lrn = RegressionLearner(IdentityBackbone(3), "til", y_mean=1.0, y_std=2.0)
    lrn.setup_task(0)
    lrn.setup_task(1)
    a, b = reg_samples(3, 3, 0, seed=1), reg_samples(5, 3, 1, seed=2)
    mixed = Samples.cat([a, b])
    pa = 1.0 + 2.0 * lrn.heads["0"](a.inputs["x"]).squeeze(-1)
    pb = 1.0 + 2.0 * lrn.heads["1"](b.inputs["x"]).squeeze(-1)
    torch.testing.assert_close(lrn.predict(a.inputs["x"], 0), pa)
    expected = ((((pa - a.y) / 2.0) ** 2).sum() + (((pb - b.y) / 2.0) ** 2).sum()) / 8
    torch.testing.assert_close(lrn.loss(lrn.features(mixed), mixed), expected)
    dil = RegressionLearner(IdentityBackbone(3), "dil")
    dil.setup_task(0)
    dil.setup_task(1)
    assert list(dil.heads) == ["shared"]


def test_resolution_uses_the_physical_target() -> None:
    lrn = RegressionLearner(
        IdentityBackbone(2), "dil", target="log", statistic="std", response_normalised=False
    )
    lrn.setup_task(0)
    s = reg_samples(50, 2, 0)
    pred = torch.exp(lrn.predict(s.inputs["x"], 0)).detach()
    expected = relative_resolution(pred, torch.exp(s.y), "std", False)
    assert lrn.resolution(s, 0, batch_size=7) == pytest.approx(expected)


def test_regression_errors() -> None:
    with pytest.raises(ValueError, match="'til' or 'dil', got 'cil'"):
        RegressionLearner(IdentityBackbone(2), "cil")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="y_std must be > 0"):
        RegressionLearner(IdentityBackbone(2), y_std=0.0)
    lrn = RegressionLearner(IdentityBackbone(2), "til")
    with pytest.raises(ValueError, match="one target per task; task 0 asks for 3"):
        lrn.setup_task(0, 3)
    with pytest.raises(KeyError, match="setup_task"):
        lrn.predict(torch.zeros(1, 2), 4)
    with pytest.raises(NotImplementedError, match="LwF"):
        lrn.distill_logits(torch.zeros(1, 2), [0])


def _tasks() -> list[TaskData]:
    return [
        TaskData(f"t{t}", ["y"], reg_samples(64, 3, t, seed=10 + t), reg_samples(40, 3, t, seed=20 + t))
        for t in range(3)
    ]


@pytest.mark.parametrize("algorithm", [EWC(lam=1.0, fisher_samples=16), Replay(memory_size=30, batch_size=8)])
def test_continual_regression_through_the_loop(algorithm: EWC | Replay) -> None:
    torch.manual_seed(0)
    lrn = RegressionLearner(IdentityBackbone(3), "dil", y_mean=2.0, y_std=0.2)
    tasks = _tasks()
    res = run_sequence(lrn, algorithm, tasks, TrainingConfig(epochs=3, batch_size=16, lr=1e-2))  # type: ignore[arg-type]
    assert np.all(np.isfinite(res[np.tril_indices(3)])) and np.all(res[np.tril_indices(3)] > 0)
    assert np.isfinite(res[0, 1]) and np.isfinite(res[1, 2]) and np.isnan(res[0, 2])
    assert res[2, 2] == pytest.approx(lrn.resolution(tasks[2].test, 2))


def test_lwf_cannot_distil_a_regression_output() -> None:
    lrn = RegressionLearner(IdentityBackbone(3), "dil", y_mean=2.0)
    with pytest.raises(NotImplementedError, match="no class logits"):
        run_sequence(lrn, LwF(), _tasks(), TrainingConfig(epochs=1, batch_size=32))  # type: ignore[arg-type]
