"""The hooks a continual-learning algorithm plugs into the training loop."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from halite.continual.data import Samples
from halite.continual.learner import Learner


class ContinualAlgorithm:
    """Base class; the default hooks train each task from where the last one ended (fine-tuning).

    The loop calls, for every task ``t``: ``learner.setup_task`` -> ``before_task`` ->
    for every batch ``augment``, then ``loss + regularizer``, ``backward``, ``after_backward``
    (gradients may be changed here), the optimiser step, ``after_step`` -> ``after_task``; task
    ``i`` is evaluated with ``learner_for(learner, i)``. ``state_dict`` / ``load_state_dict`` hold
    what the algorithm keeps between tasks (buffers, importances, old models), for checkpoints.
    """

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        """Called once the heads of ``task_id`` exist, before its first batch."""

    def augment(self, learner: Learner, batch: Samples) -> Samples:
        """The batch actually trained on (e.g. with replayed samples appended)."""
        return batch

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        """A scalar added to the cross-entropy of ``batch`` (``feats`` ``(B, D)`` are its features)."""
        return feats.new_zeros(())

    def after_backward(self, learner: Learner, task_id: int) -> None:
        """Called after ``loss.backward()`` and before the optimiser step (e.g. to project gradients)."""

    def after_step(self, learner: Learner, task_id: int) -> None:
        """Called after every optimiser step (e.g. to accumulate a path integral or clamp parameters)."""

    def state_dict(self) -> dict[str, Any]:
        """What the algorithm keeps between tasks, as tensors and plain values (default: nothing)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        if state:
            msg = f"{type(self).__name__} keeps no state, but a state with {sorted(state)} was given."
            raise ValueError(msg)

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        """Called after the last batch of ``task_id``."""

    def attach(self, learner: Learner) -> None:
        """Register on ``learner`` what the algorithm adds to its modules (HAT's embeddings); default none.

        Called when a run resumes, after ``load_state_dict`` and before the learner's weights
        are loaded, so that the learner has the parameters its saved state dict holds.
        """

    def learner_for(self, learner: Learner, task_id: int) -> Learner:
        """The model that answers for task ``task_id`` at evaluation."""
        return learner
