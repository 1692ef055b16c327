"""Training over a task sequence (plain torch loop) and evaluation after every task."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples, TaskData
from halite.continual.evaluation import evaluate
from halite.continual.learner import Learner
from halite.continual.regression import RegressionLearner

logger = logging.getLogger(__name__)


@dataclass
class TrainingConfig:
    """Optimisation of every task.

    Parameters
    ----------
    epochs
        Passes over each task's training samples.
    batch_size
        Samples per step (before replayed samples are added).
    optimizer
        ``adam`` or ``sgd``; a fresh optimiser per task.
    lr
        Learning rate.
    momentum
        SGD momentum.
    weight_decay
        L2 weight decay.
    eval_batch_size
        Samples per evaluation step.
    device
        Torch device (``cpu``, ``cuda``, ``cuda:1``...); with the Lightning engine it picks the
        accelerator (``cpu`` or ``gpu``; ``cuda:1`` means GPU 1).
    engine
        ``lightning`` (default): every task is a Lightning fit (validation every epoch,
        checkpoints in ``<run>/ckpts/task<t>/``, exact resume, DDP, the run's CSV and
        TensorBoard loggers; see ``halite.continual.sequence``); ``torch``: a plain loop in this
        process, no checkpoints (what the benchmarks in ``bench/`` use).
    devices, num_nodes, strategy, precision
        Lightning's ``Trainer`` options (``devices: 2, strategy: ddp`` trains every task on two
        processes, as ``halite fit`` does); Lightning engine only.
    ckpt_every_n_steps
        Also checkpoint every this many steps within a task (0: at the end of every epoch only).
    progress_bar
        Lightning's progress bar per task.
    """

    epochs: int = 5
    batch_size: int = 64
    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    weight_decay: float = 0.0
    eval_batch_size: int = 1024
    device: str = "cpu"
    engine: Literal["lightning", "torch"] = "lightning"
    devices: int | str = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    ckpt_every_n_steps: int = 0
    progress_bar: bool = True

    @property
    def single_process(self) -> bool:
        """Whether the options ask for one process (no devices / num_nodes / strategy set)."""
        return self.devices in (1, "1") and self.num_nodes == 1 and self.strategy == "auto"

    def __post_init__(self) -> None:
        if self.engine not in ("lightning", "torch"):
            msg = f"continual.training.engine must be 'lightning' or 'torch', got '{self.engine}'."
            raise ValueError(msg)
        if self.engine == "torch" and not self.single_process:
            msg = (
                "continual.training.devices / num_nodes / strategy need the Lightning engine; the torch engine "
                "trains in one process. Set continual.training.engine: lightning."
            )
            raise ValueError(msg)
        if self.ckpt_every_n_steps < 0:
            msg = f"continual.training.ckpt_every_n_steps must be >= 0, got {self.ckpt_every_n_steps}."
            raise ValueError(msg)
        if self.epochs < 1 or self.batch_size < 1 or self.eval_batch_size < 1:
            msg = (
                f"continual.training needs epochs, batch_size and eval_batch_size >= 1; got "
                f"{self.epochs}, {self.batch_size}, {self.eval_batch_size}."
            )
            raise ValueError(msg)
        if self.lr <= 0:
            msg = f"continual.training.lr must be > 0, got {self.lr}."
            raise ValueError(msg)


def make_optimizer(learner: Learner, cfg: TrainingConfig) -> torch.optim.Optimizer:
    """A fresh optimiser over all trainable parameters of ``learner``."""
    params = [p for p in learner.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def train_task(
    learner: Learner, algorithm: ContinualAlgorithm, train: Samples, task_id: int, cfg: TrainingConfig
) -> float:
    """Train ``learner`` on ``train`` for ``cfg.epochs``; return the mean loss of the last epoch."""
    opt = make_optimizer(learner, cfg)
    learner.train()
    device = torch.device(cfg.device)
    mean = float("nan")
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(train))
        total, steps = 0.0, 0
        for start in range(0, len(train), cfg.batch_size):
            batch = algorithm.augment(learner, train.take(perm[start : start + cfg.batch_size]).to(device))
            feats = learner.features(batch)
            loss = learner.loss(feats, batch) + algorithm.regularizer(learner, batch, feats, task_id)
            if not torch.isfinite(loss):
                msg = f"Non-finite loss ({float(loss)}) in task {task_id}; lower continual.training.lr or the algorithm's strength."
                raise FloatingPointError(msg)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            algorithm.after_backward(learner, task_id)
            opt.step()
            algorithm.after_step(learner, task_id)
            total += float(loss.detach())
            steps += 1
        mean = total / max(steps, 1)
    return mean


def run_sequence(
    learner: Learner,
    algorithm: ContinualAlgorithm,
    tasks: list[TaskData],
    cfg: TrainingConfig,
    log: Callable[[str], None] = logger.info,
) -> np.ndarray:
    """Train tasks ``1..T`` in turn (til, cil, dil); return the accuracy matrix ``(T, T)``.

    Task ids count from 1 (CLArena's convention): ``tasks[k]`` is task ``k + 1``, its samples
    carry that id. ``acc[t - 1, i - 1]`` is the test accuracy (a ``RegressionLearner``:
    resolution) on task ``i`` after training task ``t``; ``acc[t - 2, t - 1]`` is task ``t``
    scored before training it (after ``before_task``), for forward transfer; ``NaN`` for
    ``i > t + 1``.
    """
    learner.to(cfg.device)
    acc = np.full((len(tasks), len(tasks)), np.nan)
    for t, task in enumerate(tasks, start=1):
        t0 = time.perf_counter()
        learner.setup_task(t, task.num_classes)
        learner.to(cfg.device)
        algorithm.before_task(learner, t, task.train)
        if t > 1:
            acc[t - 2, t - 1] = evaluate(algorithm.learner_for(learner, t), task.test, t, cfg.eval_batch_size)
        loss = train_task(learner, algorithm, task.train, t, cfg)
        algorithm.after_task(learner, t, task.train)
        for i in range(1, t + 1):
            evaluator = algorithm.learner_for(learner, i)
            acc[t - 1, i - 1] = evaluate(evaluator, tasks[i - 1].test, i, cfg.eval_batch_size)
        row = " ".join(f"{a:.3f}" for a in acc[t - 1, :t])
        score = "resolution" if isinstance(learner, RegressionLearner) else "accuracy"
        log(
            f"task {t}/{len(tasks)} '{task.name}': loss {loss:.4f}, {score} on tasks 1..{t}: [{row}], "
            f"average {np.mean(acc[t - 1, :t]):.3f} ({time.perf_counter() - t0:.1f} s)"
        )
    return acc


def run_multitask(
    learner: Learner, tasks: list[TaskData], cfg: TrainingConfig, log: Callable[[str], None] = logger.info
) -> list[float]:
    """Train all tasks jointly (mtl), samples routed to their heads; return per-task accuracy.

    ``tasks[k]`` is task ``k + 1``; the hooks see task id ``0`` (no single task).
    """
    ids = list(range(1, len(tasks) + 1))
    learner.setup_tasks(ids, {i: t.num_classes for i, t in zip(ids, tasks)})
    learner.to(cfg.device)
    loss = train_task(learner, ContinualAlgorithm(), Samples.cat([t.train for t in tasks]), 0, cfg)
    accuracy = [learner.accuracy(t.test, i, cfg.eval_batch_size) for i, t in zip(ids, tasks)]
    log(f"multi-task: loss {loss:.4f}, accuracy per task {[round(a, 3) for a in accuracy]}")
    return accuracy


def run_single_tasks(
    make_learner: Callable[[], Learner],
    tasks: list[TaskData],
    cfg: TrainingConfig,
    log: Callable[[str], None] = logger.info,
) -> tuple[list[float], list[Learner]]:
    """Train one single-task model per task (stl); return per-task accuracy and the models.

    ``tasks[k]`` is task ``k + 1`` (its samples carry that id).
    """
    accuracy, learners = [], []
    for i, task in enumerate(tasks, start=1):
        learner = make_learner()
        learner.setup_task(i, task.num_classes)
        learner.to(cfg.device)
        loss = train_task(learner, ContinualAlgorithm(), task.train, i, cfg)
        accuracy.append(learner.accuracy(task.test, i, cfg.eval_batch_size))
        learners.append(learner)
        log(f"single task '{task.name}': loss {loss:.4f}, accuracy {accuracy[-1]:.3f}")
    return accuracy, learners
