"""Task-boundary snapshots of a continual run and where a killed run resumes.

Before task ``t`` starts, ``<run>/ckpts/task<t>_start.pt`` holds everything the rest of the
run depends on: the learner's weights (heads of tasks ``1..t-1``), the algorithm's state,
the random-number generators, the score matrix so far and the random-initialisation scores.
A run resumed in task ``t`` loads it, then replays task ``t``'s set-up (heads, ``before_task``,
the score before training) exactly as the first run did, and continues the task's Lightning
fit from ``<run>/ckpts/task<t>/last.ckpt`` when one exists (weights, optimiser, loop and data
position, generators and the algorithm's mid-task state).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import TaskData
from halite.continual.learner import Learner
from halite.continual.regression import RegressionLearner
from halite.errors import CheckpointError
from halite.io import atomic_path
from halite.training.callbacks.resume_state import collect_rng_states, restore_rng_states
from halite.training.checkpoint_io import safe_load

_START = re.compile(r"task(\d+)_start\.pt")


def start_path(run_dir: Path, task_id: int) -> Path:
    """``<run>/ckpts/task<t>_start.pt``."""
    return run_dir / "ckpts" / f"task{task_id}_start.pt"


def task_ckpt_dir(run_dir: Path, task_id: int) -> Path:
    """``<run>/ckpts/task<t>/``: the Lightning checkpoints of task ``t``."""
    return run_dir / "ckpts" / f"task{task_id}"


def save_start(
    run_dir: Path,
    task_id: int,
    learner: Learner | RegressionLearner,
    algorithm: ContinualAlgorithm,
    scores: np.ndarray,
    initial: np.ndarray | None,
) -> None:
    """Write the snapshot taken before task ``task_id`` (atomically)."""
    state = {
        "task_id": task_id,
        "learner": learner.state_dict(),
        "algorithm": algorithm.state_dict(),
        "rng": collect_rng_states(),
        "scores": torch.from_numpy(scores.copy()),
        "initial": None if initial is None else torch.from_numpy(initial.copy()),
    }
    path = start_path(run_dir, task_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def resume_point(run_dir: Path) -> int | None:
    """The task a run in ``run_dir`` resumes in: the last one with a start snapshot, ``None`` if none."""
    found = [
        int(m.group(1)) for p in (run_dir / "ckpts").glob("task*_start.pt") if (m := _START.fullmatch(p.name))
    ]
    return max(found) if found else None


def load_start(
    run_dir: Path,
    task_id: int,
    learner: Learner | RegressionLearner,
    algorithm: ContinualAlgorithm,
    tasks: list[TaskData],
) -> tuple[np.ndarray, np.ndarray | None]:
    """Restore the snapshot before task ``task_id`` into ``learner`` and ``algorithm``.

    The heads of tasks ``1..task_id-1`` are set up first (in order, as the run did), the
    algorithm's state is loaded and attached (``attach``), then the learner's weights
    (strictly) and the generators. Returns ``(scores, initial)``.
    """
    path = start_path(run_dir, task_id)
    state = safe_load(path, lightning=False)
    if int(state["task_id"]) != task_id:
        msg = f"{path} is the snapshot of task {state['task_id']}, not {task_id}; it was renamed or copied."
        raise CheckpointError(msg)
    for k in range(1, task_id):
        learner.setup_task(k, tasks[k - 1].num_classes)
    algorithm.load_state_dict(state["algorithm"])
    algorithm.attach(learner)  # type: ignore[arg-type]
    try:
        learner.load_state_dict(state["learner"])
    except RuntimeError as err:
        msg = f"{path} does not fit this run's model ({err}). Resume with the run's own config.yaml."
        raise CheckpointError(msg) from err
    restore_rng_states(state["rng"])
    initial = state["initial"]
    return state["scores"].numpy().copy(), None if initial is None else initial.numpy().copy()
