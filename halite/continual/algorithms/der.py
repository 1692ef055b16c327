"""Dark Experience Replay (DER) and DER++: replay logits, not only labels."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.algorithms.reservoir import ReservoirBuffer
from halite.continual.data import Samples
from halite.continual.learner import Learner


def mixed_task_logits(learner: Learner, feats: Tensor, task_ids: Tensor) -> tuple[Tensor, Tensor]:
    """Every sample's logits for its own task, zero-padded to one width.

    Parameters
    ----------
    feats
        Features ``(B, D)``.
    task_ids
        ``(B,)`` task of every sample.

    Returns
    -------
    tuple[Tensor, Tensor]
        Logits ``(B, W)`` (row ``b``: ``learner.task_logits`` of its task, TIL: that task's
        head, CIL: all heads set up so far, DIL: the shared head) and the widths ``(B,)`` of
        the rows (``W`` the widest).
    """
    parts = []
    for t in torch.unique(task_ids).tolist():
        rows = torch.nonzero(task_ids == t, as_tuple=True)[0]
        parts.append((rows, learner.task_logits(feats[rows], int(t))))
    width = max((int(z.shape[1]) for _, z in parts), default=0)
    out = feats.new_zeros(feats.shape[0], width)
    widths = torch.zeros(feats.shape[0], dtype=torch.int64, device=feats.device)
    for rows, z in parts:
        out[rows, : z.shape[1]] = z
        widths[rows] = z.shape[1]
    return out, widths


def stored_logit_mse(now: Tensor, now_widths: Tensor, stored: Tensor, widths: Tensor) -> Tensor:
    """Mean squared difference over the stored columns: ``mean_{b, c < widths[b]} (now[b, c] - stored[b, c])^2``.

    Parameters
    ----------
    now, now_widths
        Current logits ``(B, W')`` of the replayed samples and their widths ``(B,)``.
    stored, widths
        Logits ``(B, W)`` at insertion and their widths ``(B,)``. A class-incremental row
        has grown since (``now_widths >= widths``): only its stored columns are compared.
    """
    if bool((now_widths < widths).any()) or now.shape[1] < stored.shape[1]:
        msg = (
            f"DER: a replayed sample has fewer logits now ({now_widths.tolist()}) than when it was stored "
            f"({widths.tolist()}); the heads of its task changed width."
        )
        raise RuntimeError(msg)
    cols = torch.arange(stored.shape[1], device=stored.device)
    mask = cols[None, :] < widths[:, None]
    diff = (now[:, : stored.shape[1]] - stored)[mask]
    return (diff**2).mean()


class DER(ContinualAlgorithm):
    """DER (Buzzega et al., "Dark experience for general continual learning", NeurIPS 2020, arXiv:2004.07211).

    Every training sample is offered to a reservoir buffer of ``buffer_size`` samples (each
    seen sample is kept with probability ``buffer_size / n_seen``) together with its logits
    ``z`` at that step. Every step adds, for ``minibatch_size`` samples ``x'`` drawn from the
    buffer,

    ``alpha * mean (h_theta(x') - z')^2``

    (the paper's eq. 6, as its code computes it: a mean squared error over samples and logit
    columns). The stored logits are the heads' outputs for the sample's own task when it
    entered (TIL: its task head; CIL: all classes set up then; DIL: the shared head); in the
    class-incremental setting the logit vector grows with new tasks and, by default, only the
    stored columns are compared. The paper's code differs there: its network has every
    class's output from the start, so a stored vector also holds the (pushed-down) logits of
    classes still to come, and matching them keeps new classes from taking over old samples.
    ``fill_new_columns=True`` comes closer to that: when a new class-incremental head is set
    up, every stored row gets the new columns as the new head outputs them then (untrained),
    and they are matched from then on. Replay starts with the first step, on the current
    task's samples too, as in the paper.

    Parameters
    ----------
    buffer_size
        Samples in the memory.
    alpha
        Weight of the logit-matching term (the value the authors report for Seq-CIFAR-10 with
        200 samples).
    minibatch_size
        Buffer samples per step (drawn without repetition); ``None``: as many as the training
        batch.
    fill_new_columns
        Class-incremental only (ignored for til / dil): complete the stored rows with a new
        head's initial outputs when it is set up, instead of comparing only the stored columns.
    """

    def __init__(
        self,
        buffer_size: int = 200,
        alpha: float = 0.3,
        minibatch_size: int | None = None,
        fill_new_columns: bool = False,
    ) -> None:
        self._check(alpha=alpha)
        if not isinstance(fill_new_columns, bool):
            msg = f"{type(self).__name__}.fill_new_columns must be True or False, got {fill_new_columns!r}."
            raise ValueError(msg)
        self.fill_new_columns = fill_new_columns
        if minibatch_size is not None and (isinstance(minibatch_size, bool) or minibatch_size < 1):
            msg = f"{type(self).__name__}.minibatch_size must be >= 1 or None (the batch size), got {minibatch_size!r}."
            raise ValueError(msg)
        self.buffer = ReservoirBuffer(buffer_size)
        self.buffer_size = buffer_size
        self.alpha = alpha
        self.minibatch_size = minibatch_size
        self._pending: tuple[Samples, Tensor, Tensor] | None = None

    def _check(self, **weights: float) -> None:
        for name, value in weights.items():
            if not value >= 0:
                msg = f"{type(self).__name__}.{name} must be >= 0, got {value!r}."
                raise ValueError(msg)

    def _draw(self, batch: Samples) -> tuple[Samples, Tensor, Tensor]:
        samples, logits, widths = self.buffer.sample(self.minibatch_size or len(batch))
        device = batch.y.device
        return samples.to(device), logits.to(device), widths.to(device)

    def logit_loss(self, learner: Learner, samples: Samples, stored: Tensor, widths: Tensor) -> Tensor:
        """``mean (h_theta(x') - z')^2`` over the stored columns of the replayed ``samples``."""
        now, now_widths = mixed_task_logits(learner, learner.features(samples), samples.task_ids)
        return stored_logit_mse(now, now_widths, stored, widths)

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        if not self.fill_new_columns or learner.paradigm != "cil" or self.buffer.samples is None:
            return
        was_training = learner.training
        learner.eval()
        with torch.no_grad():
            samples = self.buffer.samples.to(next(learner.parameters()).device)
            now, now_widths = mixed_task_logits(learner, learner.features(samples), samples.task_ids)
        learner.train(was_training)
        self.buffer.complete_logits(now, now_widths)

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        with torch.no_grad():
            logits, widths = mixed_task_logits(learner, feats.detach(), batch.task_ids)
        self._pending = (batch, logits, widths)  # enters the buffer after the step, as in the paper
        if len(self.buffer) == 0:
            return feats.new_zeros(())
        return self.alpha * self.logit_loss(learner, *self._draw(batch))

    def after_step(self, learner: Learner, task_id: int) -> None:
        if self._pending is not None:
            self.buffer.add(*self._pending)
            self._pending = None

    def state_dict(self) -> dict[str, Any]:
        return {"buffer": self.buffer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != {"buffer"}:
            msg = (
                f"{type(self).__name__}.load_state_dict expects {{'buffer': ...}}, got keys {sorted(state)}."
            )
            raise ValueError(msg)
        self.buffer.load_state_dict(state["buffer"])
        self._pending = None


class DERpp(DER):
    """DER++ (Buzzega et al., NeurIPS 2020, arXiv:2004.07211): DER plus replayed labels.

    On top of DER's term, a second, independent draw ``(x'', y'')`` from the buffer adds
    ``beta * CE(y'', f_theta(x''))`` (the paper's eq. 7), each replayed sample scored with its
    own task's head and labels (``Learner.loss``).

    Parameters
    ----------
    buffer_size
        Samples in the memory.
    alpha
        Weight of the logit-matching term.
    beta
        Weight of the replayed cross-entropy (``alpha``, ``beta``: the values the authors
        report for Seq-CIFAR-10 with 200 samples).
    minibatch_size
        Buffer samples per draw; ``None``: as many as the training batch.
    fill_new_columns
        Class-incremental only: complete the stored rows with a new head's initial outputs
        (see ``DER``).
    """

    def __init__(
        self,
        buffer_size: int = 200,
        alpha: float = 0.1,
        beta: float = 0.5,
        minibatch_size: int | None = None,
        fill_new_columns: bool = False,
    ) -> None:
        super().__init__(buffer_size, alpha, minibatch_size, fill_new_columns)
        self._check(beta=beta)
        self.beta = beta

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        dark = super().regularizer(learner, batch, feats, task_id)
        if len(self.buffer) == 0:
            return dark
        samples, _, _ = self._draw(batch)
        return dark + self.beta * learner.loss(learner.features(samples), samples)
