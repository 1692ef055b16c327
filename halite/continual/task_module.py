"""One continual-learning task as a Lightning fit: the module and its resumable batches.

``TaskModule`` trains a learner on one task with the algorithm's hooks in the order of the
plain loop (``halite.continual.loop.train_task``), by manual optimisation: ``augment`` ->
``loss + regularizer`` -> ``manual_backward`` (gradients all-reduced under DDP) ->
``after_backward`` -> ``step`` -> ``after_step``. ``TaskBatches`` yields the index batches of a
task: one permutation per epoch drawn from torch's global generator (as the plain loop draws
it), sharded over the ranks of a distributed run; its position within the epoch is saved in
every checkpoint, so a run resumed mid-epoch continues with the next batch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import lightning as L
import torch
from torch import Tensor

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.evaluation import evaluate
from halite.continual.learner import Learner
from halite.continual.regression import RegressionLearner


class TaskBatches:
    """Index batches ``(b,)`` over ``n`` samples: a new permutation each epoch, sharded over ranks.

    Every rank draws the same permutation (the ranks share the seed and draw in step) and takes
    every ``world``-th index, all ranks the same number (``n // world``; the remainder of the
    permutation is dropped). With one rank this is the plain loop's ``torch.randperm(n)`` split
    into batches.

    Parameters
    ----------
    n
        Samples of the task.
    batch_size
        Indices per batch (the last batch may be smaller).
    rank, world
        This process's rank and the number of ranks.
    """

    def __init__(self, n: int, batch_size: int, rank: int = 0, world: int = 1) -> None:
        if world > n:
            msg = f"A task with {n} training samples cannot be split over {world} ranks; use fewer devices."
            raise ValueError(msg)
        self.n, self.batch_size, self.rank, self.world = n, batch_size, rank, world
        self.per_rank = n if world == 1 else n // world
        self._perm: Tensor | None = None
        self._delivered = 0
        self._resume: tuple[Tensor, int] | None = None

    def __len__(self) -> int:
        return math.ceil(self.per_rank / self.batch_size)

    def __iter__(self) -> Iterator[Tensor]:
        if self._resume is not None:
            perm, start = self._resume
            self._resume = None
        else:
            perm, start = torch.randperm(self.n), 0
        self._perm, self._delivered = perm, start
        idx = perm if self.world == 1 else perm[self.rank :: self.world][: self.per_rank]
        for b in range(start, len(self)):
            self._delivered = b + 1
            yield idx[b * self.batch_size : (b + 1) * self.batch_size]

    def state_dict(self) -> dict[str, Any]:
        """The epoch's permutation and the batches delivered from it (tensors and ints)."""
        perm = self._perm if self._perm is not None else torch.empty(0, dtype=torch.int64)
        return {"perm": perm, "delivered": self._delivered, "n": self.n, "world": self.world}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Make the next iteration continue the saved epoch after its delivered batches."""
        if int(state["n"]) != self.n or int(state["world"]) != self.world:
            msg = (
                f"The checkpoint's batches are over {state['n']} samples on {state['world']} ranks, this run has "
                f"{self.n} on {self.world}; resume with the run's config.yaml and the same number of devices."
            )
            raise ValueError(msg)
        perm = state["perm"]
        if perm.numel() == self.n and 0 < int(state["delivered"]) < len(self):
            self._resume = (perm, int(state["delivered"]))


class EvalBatches:
    """Index batches ``(b,)`` over ``n`` samples in order (one iterable: Lightning reads a list as several loaders)."""

    def __init__(self, n: int, batch_size: int) -> None:
        self.n, self.batch_size = n, batch_size

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator[Tensor]:
        for s in range(0, self.n, self.batch_size):
            yield torch.arange(s, min(s + self.batch_size, self.n))


class TaskModule(L.LightningModule):
    """Lightning module training ``learner`` on task ``task_id`` with ``algorithm``'s hooks.

    Validation (every epoch) logs the loss of the task's test samples and their score
    (``val_accuracy`` or ``val_resolution``) with the model that answers for the task
    (``algorithm.learner_for``). Checkpoints carry the task id and the algorithm's state.

    Parameters
    ----------
    learner
        The learner, its heads of ``task_id`` set up and ``algorithm.before_task`` run.
    algorithm
        The continual-learning algorithm.
    train, test
        The task's samples (kept on the CPU; batches are moved to the module's device).
    task_id
        The task, from 1.
    make_optimizer
        ``learner -> optimiser`` (the plain loop's ``make_optimizer`` with its config).
    batch_size, eval_batch_size
        Samples per training step and per evaluation step.
    """

    def __init__(
        self,
        learner: Learner | RegressionLearner,
        algorithm: ContinualAlgorithm,
        train: Samples,
        test: Samples,
        task_id: int,
        make_optimizer: Any,
        batch_size: int,
        eval_batch_size: int,
    ) -> None:
        super().__init__()
        self.learner = learner
        self.algorithm = algorithm
        self.train_samples, self.test_samples = train, test
        self.task_id = task_id
        self._make_optimizer = make_optimizer
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.score = "resolution" if isinstance(learner, RegressionLearner) else "accuracy"
        self.automatic_optimization = False
        self._loss_sum: Tensor | None = None
        self._steps = 0
        #: mean training loss of the last finished epoch
        self.last_epoch_loss = float("nan")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self._make_optimizer(self.learner)  # type: ignore[no-any-return]

    def train_dataloader(self) -> TaskBatches:
        trainer = self.trainer
        return TaskBatches(len(self.train_samples), self.batch_size, trainer.global_rank, trainer.world_size)

    def val_dataloader(self) -> EvalBatches:
        return EvalBatches(len(self.test_samples), self.eval_batch_size)

    def on_train_epoch_start(self) -> None:
        self._loss_sum, self._steps = None, 0

    def training_step(self, idx: Tensor, batch_idx: int) -> Tensor:
        learner: Any = self.learner
        t = self.task_id
        batch = self.algorithm.augment(learner, self.train_samples.take(idx.cpu()).to(self.device))
        feats = learner.features(batch)
        loss = learner.loss(feats, batch) + self.algorithm.regularizer(learner, batch, feats, t)
        if not torch.isfinite(loss):
            msg = f"Non-finite loss ({float(loss)}) in task {t}; lower continual.training.lr or the algorithm's strength."
            raise FloatingPointError(msg)
        opt: Any = self.optimizers()
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        self.algorithm.after_backward(learner, t)
        opt.step()
        self.algorithm.after_step(learner, t)
        detached = loss.detach()
        self._loss_sum = detached if self._loss_sum is None else self._loss_sum + detached
        self._steps += 1
        self.log(
            "train_loss",
            detached,
            on_step=False,
            on_epoch=True,
            prog_bar=True,
            sync_dist=True,
            batch_size=len(idx),
        )
        return detached

    def on_train_epoch_end(self) -> None:
        if self._loss_sum is not None:
            self.last_epoch_loss = float(self._loss_sum) / max(self._steps, 1)
        self.log("task", float(self.task_id), on_step=False, on_epoch=True, sync_dist=True)

    def validation_step(self, idx: Tensor, batch_idx: int) -> None:
        model: Any = self.algorithm.learner_for(self.learner, self.task_id)  # type: ignore[arg-type]
        part = self.test_samples.take(idx).to(self.device)
        loss = model.loss(model.features(part), part)
        self.log("val_loss", loss, on_epoch=True, sync_dist=True, batch_size=len(idx))

    def on_validation_epoch_end(self) -> None:
        model: Any = self.algorithm.learner_for(self.learner, self.task_id)  # type: ignore[arg-type]
        value = evaluate(model, self.test_samples, self.task_id, self.eval_batch_size)
        self.log(f"val_{self.score}", value, sync_dist=True, prog_bar=True)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["continual"] = {"task_id": self.task_id, "algorithm": self.algorithm.state_dict()}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get("continual")
        if saved is None or int(saved["task_id"]) != self.task_id:
            found = None if saved is None else saved["task_id"]
            msg = (
                f"This checkpoint is of task {found}, not of task {self.task_id}; it cannot resume this task."
            )
            raise ValueError(msg)
        self.algorithm.load_state_dict(saved["algorithm"])
