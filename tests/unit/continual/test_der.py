"""DER / DER++ against the paper's equations, computed by hand on an identity backbone.

DER (eq. 6):   reg = alpha * mean_{b, c stored} (h_theta(x'_b)_c - z'_b,c)^2
DER++ (eq. 7): reg = DER + beta * mean_b CE(y''_b, f_theta(x''_b))
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite.continual import DER, DERpp
from halite.continual.algorithms.der import mixed_task_logits, stored_logit_mse
from halite.continual.data import Samples
from halite.continual.learner import Learner
from halite.continual.loop import TrainingConfig, run_sequence
from tests.unit.continual.helpers import learner, samples
from tests.unit.continual.sequences import head, linear_tasks, mlp_learner

CLASSES = {"til": (2, 3), "cil": (2, 3), "dil": (2, 2)}


def _weights(lrn: Learner, ids: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    heads = [head(lrn, t) for t in ids]
    return [
        (h.weight.detach().numpy().astype(np.float64), h.bias.detach().numpy().astype(np.float64))
        for h in heads
    ]


def _hand_logits(x: np.ndarray, paradigm: str, task: int, ids: list[int], w: list) -> np.ndarray:
    """TIL: the task's head; CIL: all heads set up (``ids``), concatenated; DIL: the shared head."""
    if paradigm == "cil":
        return np.concatenate([x @ wt.T + bt for wt, bt in w], axis=1)
    wt, bt = w[ids.index(task)] if paradigm == "til" else w[0]
    return x @ wt.T + bt


def _softmax_ce(z: np.ndarray, target: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return -(z[np.arange(len(z)), target] - np.log(np.exp(z).sum(axis=1)))


def _fill(paradigm: str, algo: DER, first_id: int) -> tuple[Learner, list, list]:
    """Two tasks (ids ``first_id``, ``first_id + 1``) of 4 samples enter the buffer; then the heads move."""
    torch.manual_seed(0)
    lrn = learner(paradigm, width=3)  # type: ignore[arg-type]
    ids: list[int] = []
    stored: list[np.ndarray] = []
    batches: list[Samples] = []
    for k, c in enumerate(CLASSES[paradigm]):
        t = first_id + k
        lrn.setup_task(t, c)
        ids.append(t)
        batch = samples(4, 3, c, task_id=t, seed=10 + k)
        algo.before_task(lrn, t, batch)  # a no-op unless fill_new_columns (cil)
        if k == 1 and algo.fill_new_columns and paradigm == "cil":
            x0 = batches[0].inputs["x"].numpy().astype(np.float64)
            ((w2, b2),) = _weights(lrn, [t])  # the new head as set up, untrained
            stored[0] = np.concatenate([stored[0], x0 @ w2.T + b2], axis=1)
        reg = algo.regularizer(lrn, batch, lrn.features(batch), t)
        if k == 0:
            assert (
                float(reg) == 0.0 and len(algo.buffer) == 0
            )  # empty buffer; the batch enters after the step
        algo.after_step(lrn, t)
        assert len(algo.buffer) == 4 * (k + 1)
        x = batch.inputs["x"].numpy().astype(np.float64)
        heads = ids if paradigm == "cil" else ([t] if paradigm == "til" else [ids[0]])
        stored.append(_hand_logits(x, paradigm, t, heads, _weights(lrn, heads)))
        batches.append(batch)
    with torch.no_grad():
        for i, t in enumerate(ids if paradigm != "dil" else ids[:1]):
            h = head(lrn, t)
            h.weight.add_(torch.linspace(-0.6, 0.9, h.weight.numel()).reshape(h.weight.shape) * (i + 1))
            h.bias.sub_(0.3)
    return lrn, stored, batches


def _hand_terms(
    lrn: Learner, paradigm: str, first_id: int, stored: list, batches: list
) -> tuple[float, float]:
    """(mean squared logit difference over the stored columns, mean replayed cross-entropy), by hand."""
    ids = [first_id, first_id + 1]
    sq, count, ce = 0.0, 0, []
    offset = 0
    for k, (z_old, batch) in enumerate(zip(stored, batches)):
        t = ids[k]
        x = batch.inputs["x"].numpy().astype(np.float64)
        heads = ids if paradigm != "dil" else ids[:1]
        z_now = _hand_logits(x, paradigm, t, heads, _weights(lrn, heads))
        width = z_old.shape[1]  # CIL: task 1's rows were stored with 2 columns, now there are 5
        sq += float(((z_now[:, :width] - z_old) ** 2).sum())
        count += z_old.size
        target = batch.y.numpy() + (offset if paradigm == "cil" else 0)
        ce.extend(_softmax_ce(z_now, target).tolist())
        offset += CLASSES[paradigm][k]
    return sq / count, float(np.mean(ce))


@pytest.mark.parametrize("paradigm", ["til", "cil", "dil"])
@pytest.mark.parametrize("first_id", [0, 1])
def test_der_regularizer_is_alpha_times_mse_on_stored_logits(paradigm: str, first_id: int) -> None:
    der = DER(buffer_size=50, alpha=0.7, minibatch_size=50)  # every stored row is drawn
    lrn, stored, batches = _fill(paradigm, der, first_id)
    assert der.buffer.widths is not None
    expect_widths = [2] * 4 + [5 if paradigm == "cil" else CLASSES[paradigm][1]] * 4
    assert sorted(der.buffer.widths.tolist()) == expect_widths
    mse, _ = _hand_terms(lrn, paradigm, first_id, stored, batches)
    assert mse > 0.01
    probe = samples(5, 3, 2, task_id=first_id + 1, seed=99)
    reg = der.regularizer(lrn, probe, lrn.features(probe), first_id + 1)
    assert float(reg) == pytest.approx(0.7 * mse, rel=1e-5)
    lrn.zero_grad()
    reg.backward()  # gradients reach the current heads, not the stored logits
    grad = head(lrn, first_id).weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0


@pytest.mark.parametrize("paradigm", ["til", "cil", "dil"])
def test_derpp_adds_beta_times_replayed_cross_entropy(paradigm: str) -> None:
    derpp = DERpp(buffer_size=50, alpha=0.4, beta=1.5, minibatch_size=50)
    lrn, stored, batches = _fill(paradigm, derpp, 1)
    mse, ce = _hand_terms(lrn, paradigm, 1, stored, batches)
    probe = samples(5, 3, 2, task_id=2, seed=99)
    reg = derpp.regularizer(lrn, probe, lrn.features(probe), 2)
    assert float(reg) == pytest.approx(0.4 * mse + 1.5 * ce, rel=1e-5)
    assert float(DERpp(alpha=0.0, beta=0.0).regularizer(lrn, probe, lrn.features(probe), 2)) == 0.0


@pytest.mark.parametrize("paradigm", ["til", "cil", "dil"])
def test_fill_new_columns_matches_the_new_head_as_set_up(paradigm: str) -> None:
    der = DER(buffer_size=50, alpha=0.7, minibatch_size=50, fill_new_columns=True)
    lrn, stored, batches = _fill(paradigm, der, 1)
    assert der.buffer.widths is not None
    if paradigm == "cil":  # task 1's rows were completed to all 5 columns when task 2's head was set up
        assert der.buffer.widths.tolist() == [5] * 8
        assert stored[0].shape == (4, 5)
    mse, _ = _hand_terms(lrn, paradigm, 1, stored, batches)
    probe = samples(5, 3, 2, task_id=2, seed=99)
    reg = der.regularizer(lrn, probe, lrn.features(probe), 2)
    assert float(reg) == pytest.approx(0.7 * mse, rel=1e-5)


def test_complete_logits_keeps_stored_columns() -> None:
    der = DER(buffer_size=5)
    lrn = learner("cil", width=3)
    lrn.setup_task(0, 2)
    batch = samples(3, 3, 2, task_id=0)
    der.regularizer(lrn, batch, lrn.features(batch), 0)
    der.after_step(lrn, 0)
    assert der.buffer.logits is not None
    kept = der.buffer.logits.clone()
    with pytest.raises(ValueError, match="each at least as wide as stored"):
        der.buffer.complete_logits(torch.zeros(3, 1), torch.ones(3, dtype=torch.int64))
    der.buffer.complete_logits(torch.full((3, 4), 9.0), torch.full((3,), 4))
    torch.testing.assert_close(der.buffer.logits[:, :2], kept)
    torch.testing.assert_close(der.buffer.logits[:, 2:], torch.full((3, 2), 9.0))


def test_reservoir_during_training_and_state_round_trip() -> None:
    der = DER(buffer_size=6, alpha=1.0, minibatch_size=6)
    lrn = learner("til", width=3)
    for t in range(3):
        lrn.setup_task(t, 2)
        for k in range(4):
            batch = samples(5, 3, 2, task_id=t, seed=10 * t + k)
            der.regularizer(lrn, batch, lrn.features(batch), t)
            der.after_step(lrn, t)
    assert der.buffer.n_seen == 60 and len(der.buffer) == 6
    probe = samples(2, 3, 2, task_id=2)
    other = DER(buffer_size=6, alpha=1.0, minibatch_size=6)
    other.load_state_dict(der.state_dict())
    got = other.regularizer(lrn, probe, lrn.features(probe), 2)
    torch.testing.assert_close(got, der.regularizer(lrn, probe, lrn.features(probe), 2))
    with pytest.raises(ValueError, match=r"expects \{'buffer': ...\}"):
        DER().load_state_dict({"memory": {}})


def test_mixed_task_logits_and_width_check() -> None:
    lrn = learner("til", width=3)
    lrn.setup_task(4, 2)
    lrn.setup_task(9, 3)
    feats = torch.randn(5, 3)
    ids = torch.tensor([9, 4, 9, 4, 4])
    z, widths = mixed_task_logits(lrn, feats, ids)
    assert z.shape == (5, 3) and widths.tolist() == [3, 2, 3, 2, 2]
    torch.testing.assert_close(z[1, :2], head(lrn, 4)(feats[1]))
    assert float(z[1, 2]) == 0.0
    torch.testing.assert_close(z[0], head(lrn, 9)(feats[0]))
    with pytest.raises(RuntimeError, match="fewer logits now"):
        stored_logit_mse(z[:, :2], torch.full((5,), 2), z, widths)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match=r"DER.alpha must be >= 0, got -0.1"):
        DER(alpha=-0.1)
    with pytest.raises(ValueError, match=r"DERpp.beta must be >= 0"):
        DERpp(beta=-1.0)
    with pytest.raises(ValueError, match="buffer_size must be an integer >= 1"):
        DER(buffer_size=0)
    with pytest.raises(ValueError, match=r"minibatch_size must be >= 1 or None"):
        DERpp(minibatch_size=0)
    with pytest.raises(ValueError, match="fill_new_columns must be True or False"):
        DER(fill_new_columns=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha must be >= 0, got nan"):
        DER(alpha=float("nan"))


@pytest.mark.parametrize("algo", [DER(buffer_size=60, alpha=0.5), DERpp(buffer_size=60, alpha=0.3, beta=1.0)])
def test_run_sequence_trains_and_remembers(algo: DER) -> None:
    torch.manual_seed(0)
    tasks = linear_tasks(3)
    cfg = TrainingConfig(epochs=10, batch_size=32, lr=0.02)
    acc = run_sequence(mlp_learner("til"), algo, tasks, cfg, log=lambda _: None)
    assert np.all(np.diag(acc) > 0.9)
    assert acc[-1, 0] > 0.8  # fine-tuning, same seed and settings: 0.6
    assert algo.buffer.n_seen == 3 * 160 * 10 and len(algo.buffer) == 60
    assert algo.buffer.samples is not None
    assert set(algo.buffer.samples.task_ids.tolist()) == {1, 2, 3}
