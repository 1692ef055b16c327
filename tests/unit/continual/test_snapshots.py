"""Task-boundary snapshots: every algorithm's state, the learner and the generators saved before task 3
restore into fresh objects that then train task 3 to the weights of an uninterrupted run; the batches
of a task on one or several ranks and their position within an epoch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from halite.continual.algorithms import (
    AGEM,
    DER,
    EWC,
    HAT,
    SI,
    DERpp,
    Finetuning,
    Fix,
    Independent,
    LwF,
    Random,
    Replay,
)
from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.loop import TrainingConfig, run_sequence, train_task
from halite.continual.snapshots import load_start, resume_point, save_start, start_path
from halite.continual.task_module import TaskBatches
from halite.errors import CheckpointError
from tests.unit.continual.sequences import linear_tasks, mlp_learner

ALGORITHMS: dict[str, Callable[[], ContinualAlgorithm]] = {
    "finetuning": Finetuning,
    "fix": Fix,
    "random": Random,
    "independent": Independent,
    "ewc": lambda: EWC(lam=10.0, fisher_samples=16, fisher_batch_size=4),
    "si": SI,
    "lwf": LwF,
    "replay": lambda: Replay(memory_size=40, batch_size=8),
    "der": lambda: DER(buffer_size=32),
    "derpp": lambda: DERpp(buffer_size=32),
    "agem": lambda: AGEM(memory_per_task=20, ref_batch_size=16),
    "hat": HAT,
}
CFG = TrainingConfig(epochs=2, batch_size=32, engine="torch")


@pytest.mark.parametrize(
    ("name", "paradigm"),
    [(n, p) for n in sorted(ALGORITHMS) for p in ("til", "cil") if (n, p) != ("hat", "cil")],
)
def test_snapshot_before_task_3_resumes_exactly(name: str, paradigm: str, tmp_path: Path) -> None:
    tasks = linear_tasks(3, n_train=96, n_test=32)

    torch.manual_seed(0)
    ref_learner, ref_algo = mlp_learner(paradigm), ALGORITHMS[name]()  # type: ignore[arg-type]
    ref = run_sequence(ref_learner, ref_algo, tasks, CFG, log=lambda _: None)

    torch.manual_seed(0)
    learner, algo = mlp_learner(paradigm), ALGORITHMS[name]()  # type: ignore[arg-type]
    first = run_sequence(learner, algo, tasks[:2], CFG, log=lambda _: None)
    scores = np.full((3, 3), np.nan)
    scores[:2, :2] = first
    save_start(tmp_path, 3, learner, algo, scores, None)
    assert resume_point(tmp_path) == 3
    torch.manual_seed(123)  # whatever the generators do meanwhile, the snapshot restores them

    fresh, fresh_algo = mlp_learner(paradigm), ALGORITHMS[name]()  # type: ignore[arg-type]
    restored, initial = load_start(tmp_path, 3, fresh, fresh_algo, tasks)
    assert initial is None
    np.testing.assert_array_equal(restored, scores)
    fresh.setup_task(3, 2)
    fresh_algo.before_task(fresh, 3, tasks[2].train)
    train_task(fresh, fresh_algo, tasks[2].train, 3, CFG)
    fresh_algo.after_task(fresh, 3, tasks[2].train)
    want = ref_learner.state_dict()
    got = fresh.state_dict()
    assert sorted(got) == sorted(want)
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0, msg=key)
    for i in (1, 2, 3):  # the models that answer for each task (Independent's copies, HAT's masks) too
        assert fresh_algo.learner_for(fresh, i).accuracy(tasks[i - 1].test, i) == pytest.approx(ref[2, i - 1])


def test_a_snapshot_of_another_model_is_refused(tmp_path: Path) -> None:
    tasks = linear_tasks(2, n_train=32, n_test=16)
    learner = mlp_learner("til")
    learner.setup_task(1, 2)
    save_start(tmp_path, 2, learner, Finetuning(), np.zeros((2, 2)), None)
    other = mlp_learner("til", hidden=8)
    with pytest.raises(CheckpointError, match=r"task2_start\.pt does not fit this run's model"):
        load_start(tmp_path, 2, other, Finetuning(), tasks)
    start_path(tmp_path, 2).rename(start_path(tmp_path, 5))
    with pytest.raises(CheckpointError, match="snapshot of task 2, not 5"):
        load_start(tmp_path, 5, mlp_learner("til"), Finetuning(), tasks)


def test_task_batches_shard_and_resume_mid_epoch() -> None:
    torch.manual_seed(1)
    one = list(TaskBatches(10, 4))
    torch.manual_seed(1)
    assert torch.equal(torch.cat(one), torch.randperm(10))  # the plain loop's permutation, in batches of 4
    assert [len(b) for b in one] == [4, 4, 2]

    torch.manual_seed(2)
    ranks = [TaskBatches(11, 2, rank=r, world=2) for r in (0, 1)]
    parts = []
    for r in ranks:
        with torch.random.fork_rng(devices=[]):  # every rank draws the same permutation
            parts.append(torch.cat(list(r)))
    assert len(parts[0]) == len(parts[1]) == 5 and len(ranks[0]) == 3
    assert set(parts[0].tolist()).isdisjoint(parts[1].tolist())

    loader = TaskBatches(10, 3)
    it = iter(loader)
    seen = [next(it), next(it)]
    state = loader.state_dict()
    assert state["delivered"] == 2
    again = TaskBatches(10, 3)
    again.load_state_dict(state)
    rest = list(again)
    assert torch.equal(torch.cat([*seen, *rest]), state["perm"])
    with pytest.raises(ValueError, match="same number of devices"):
        TaskBatches(10, 3, rank=0, world=2).load_state_dict(state)
