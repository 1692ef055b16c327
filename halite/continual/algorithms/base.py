"""The hooks a continual-learning algorithm plugs into the training loop."""

from __future__ import annotations

from torch import Tensor

from halite.continual.data import Samples
from halite.continual.learner import Learner


class ContinualAlgorithm:
    """Base class; the default hooks train each task from where the last one ended (fine-tuning).

    The loop calls, for every task ``t``: ``learner.setup_task`` -> ``before_task`` ->
    for every batch ``augment`` then ``loss + regularizer`` -> ``after_task``; task ``i`` is
    evaluated with ``learner_for(learner, i)``.
    """

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        """Called once the heads of ``task_id`` exist, before its first batch."""

    def augment(self, learner: Learner, batch: Samples) -> Samples:
        """The batch actually trained on (e.g. with replayed samples appended)."""
        return batch

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        """A scalar added to the cross-entropy of ``batch`` (``feats`` ``(B, D)`` are its features)."""
        return feats.new_zeros(())

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        """Called after the last batch of ``task_id``."""

    def learner_for(self, learner: Learner, task_id: int) -> Learner:
        """The model that answers for task ``task_id`` at evaluation."""
        return learner
