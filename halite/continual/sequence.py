"""The task sequence on Lightning: one fit per task, checkpoints, exact resume, DDP.

``run_sequence_lightning`` is the Lightning engine of ``halite.continual.loop.run_sequence``
(the same scores, the same hook order, the same random draws: with one process a run
gives the plain loop's weights). Per task ``t`` it writes, in the run directory:

- ``ckpts/task<t>_start.pt``: the snapshot before the task (``halite.continual.snapshots``);
- ``ckpts/task<t>/last.ckpt``: the task's Lightning checkpoint, at the end of every epoch and
  every ``ckpt_every_n_steps`` steps;
- ``metrics.csv`` and TensorBoard events, one logger for the whole run: ``train_loss``,
  ``val_loss`` and ``val_accuracy`` (``val_resolution``) per epoch, with the ``task`` column.

With ``resume=True`` the run continues in the last task that has a start snapshot, from its
last checkpoint, and ends with the weights of an uninterrupted run. With ``devices: 2,
strategy: ddp`` every task trains on two processes (Lightning starts them at the first fit;
every rank runs the whole sequence, rank 0 writes the files).
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import TaskData
from halite.continual.evaluation import evaluate
from halite.continual.learner import Learner
from halite.continual.loop import TrainingConfig, make_optimizer
from halite.continual.regression import RegressionLearner
from halite.continual.run import is_rank_zero
from halite.continual.snapshots import load_start, resume_point, save_start, task_ckpt_dir
from halite.continual.task_module import TaskModule
from halite.errors import CheckpointNotFound
from halite.training.callbacks.resume_state import ResumeState
from halite.training.checkpoint_io import AtomicCheckpointIO

logger = logging.getLogger(__name__)


def accelerator(cfg: TrainingConfig) -> tuple[str, Any]:
    """Lightning ``(accelerator, devices)`` of ``cfg.device`` / ``cfg.devices``: ``cuda:1`` -> ``("gpu", [1])``."""
    if cfg.device.startswith("cuda"):
        _, _, index = cfg.device.partition(":")
        return "gpu", [int(index)] if index else cfg.devices
    return cfg.device, cfg.devices


def run_loggers(run_dir: Path, resume: bool) -> list[Any]:
    """The run's CSV and TensorBoard loggers (``metrics.csv`` kept as ``metrics.before-<time>.csv`` on resume)."""
    if resume and is_rank_zero() and (run_dir / "metrics.csv").is_file():
        now = datetime.now().strftime("%Y%m%d-%H%M%S-%f")  # CSVLogger would overwrite it
        (run_dir / "metrics.csv").rename(run_dir / f"metrics.before-{now}.csv")
    warnings.filterwarnings("ignore", message=r"Experiment logs directory .* exists and is not empty")
    return [
        CSVLogger(run_dir, name="", version=""),
        TensorBoardLogger(run_dir, name="", version="", default_hp_metric=False),
    ]


def task_trainer(cfg: TrainingConfig, run_dir: Path, task_id: int, loggers: list[Any]) -> L.Trainer:
    """The Lightning trainer of one task: checkpoints in ``ckpts/task<t>/``, exact-resume callback."""
    acc, devices = accelerator(cfg)
    dirpath = task_ckpt_dir(run_dir, task_id)
    callbacks: list[Any] = [
        ModelCheckpoint(dirpath=dirpath, save_top_k=0, save_last=True, enable_version_counter=False),
        ResumeState(),
    ]
    if cfg.ckpt_every_n_steps > 0:
        callbacks.append(
            ModelCheckpoint(
                dirpath=dirpath,
                every_n_train_steps=cfg.ckpt_every_n_steps,
                save_top_k=0,
                save_last=True,
                enable_version_counter=False,
            )
        )
    return L.Trainer(
        max_epochs=cfg.epochs,
        accelerator=acc,
        devices=devices,
        num_nodes=cfg.num_nodes,
        strategy=cfg.strategy,
        precision=cfg.precision,  # type: ignore[arg-type]
        logger=loggers,
        callbacks=callbacks,
        plugins=[AtomicCheckpointIO()],
        default_root_dir=run_dir,
        num_sanity_val_steps=0,
        enable_model_summary=False,
        enable_progress_bar=cfg.progress_bar,
        log_every_n_steps=1,
        use_distributed_sampler=False,
    )


@contextlib.contextmanager
def quiet_after_first(t: int, first: int) -> Iterator[None]:
    """Lightning's start-up lines ("GPU available ...", "fit stopped ...") for the first fit only."""
    log = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    level = log.level
    if t > first:
        log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)


def run_sequence_lightning(
    learner: Learner | RegressionLearner,
    algorithm: ContinualAlgorithm,
    tasks: list[TaskData],
    cfg: TrainingConfig,
    run_dir: Path,
    initial: np.ndarray | None = None,
    resume: bool = False,
    log: Callable[[str], None] = logger.info,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Train tasks ``1..T`` in turn, one Lightning fit each; return ``(scores, initial)``.

    ``scores`` is the matrix of ``halite.continual.loop.run_sequence``; ``initial`` the
    random-initialisation scores (passed in, or restored from the snapshot on resume).
    """
    device = "cpu" if accelerator(cfg)[0] == "cpu" else cfg.device
    model: Any = learner  # the algorithms' hooks take either learner (they call setup_task, features, loss)
    scores = np.full((len(tasks), len(tasks)), np.nan)
    first = 1
    if resume:
        found = resume_point(run_dir)
        if found is None:
            msg = (
                f"Nothing to resume in {run_dir}: no ckpts/task<t>_start.pt. Start a new run without "
                f"--ckpt_path, or pass --config <run>/config.yaml of a continual run."
            )
            raise CheckpointNotFound(msg)
        first = found
        scores, initial = load_start(run_dir, first, learner, algorithm, tasks)
        if is_rank_zero():
            log(f"resuming {run_dir} in task {first}/{len(tasks)}")
    loggers = run_loggers(run_dir, resume)
    score = "resolution" if isinstance(learner, RegressionLearner) else "accuracy"
    for t in range(first, len(tasks) + 1):
        task, t0 = tasks[t - 1], time.perf_counter()
        if is_rank_zero() and not (resume and t == first):
            save_start(run_dir, t, learner, algorithm, scores, initial)
        learner.setup_task(t, task.num_classes)
        learner.to(device)
        algorithm.before_task(model, t, task.train)
        if t > 1:
            scores[t - 2, t - 1] = evaluate(
                algorithm.learner_for(model, t), task.test, t, cfg.eval_batch_size
            )
        last = task_ckpt_dir(run_dir, t) / "last.ckpt"
        ckpt = str(last) if resume and t == first and last.is_file() else None
        module = TaskModule(
            learner,
            algorithm,
            task.train,
            task.test,
            t,
            lambda m: make_optimizer(m, cfg),
            cfg.batch_size,
            cfg.eval_batch_size,
        )
        with quiet_after_first(t, first):
            task_trainer(cfg, run_dir, t, loggers).fit(module, ckpt_path=ckpt)
        learner.to(device)
        algorithm.after_task(model, t, task.train)
        for i in range(1, t + 1):
            scores[t - 1, i - 1] = evaluate(
                algorithm.learner_for(model, i), tasks[i - 1].test, i, cfg.eval_batch_size
            )
        row = " ".join(f"{a:.3f}" for a in scores[t - 1, :t])
        if is_rank_zero():
            log(
                f"task {t}/{len(tasks)} '{task.name}': loss {module.last_epoch_loss:.4f}, {score} on tasks 1..{t}: "
                f"[{row}], average {np.mean(scores[t - 1, :t]):.3f} ({time.perf_counter() - t0:.1f} s)"
            )
    return scores, initial
