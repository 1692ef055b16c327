"""Fix: train the backbone on the first task only; afterwards only the new heads learn."""

from __future__ import annotations

from typing import Any

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.learner import Learner


def freeze_backbone(learner: Learner) -> None:
    """Stop gradients into every backbone parameter (the optimiser of a task then leaves them out)."""
    for p in learner.backbone.parameters():
        p.requires_grad_(False)


class Fix(ContinualAlgorithm):
    """CLArena's Fix baseline: the backbone is fixed for good once the first task is trained.

    The first task trains backbone and head; from the second task on the backbone
    parameters have ``requires_grad = False`` (left out of the optimiser) and the backbone
    runs in eval mode while training, so dropout is off and batch-norm statistics stay as the
    first task left them (as CLArena does). Only the heads of later tasks learn, so the
    features of the first task serve every task: no forgetting in the backbone, little
    plasticity. "First" is the first task this algorithm saw end, whatever its id.
    """

    def __init__(self) -> None:
        #: whether the first task is done and the backbone fixed
        self.frozen = False

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        if self.frozen:
            freeze_backbone(learner)

    def augment(self, learner: Learner, batch: Samples) -> Samples:
        # the loop puts the learner in train mode before the first batch; a fixed backbone stays in eval mode
        if self.frozen:
            learner.backbone.eval()
        return batch

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        self.frozen = True

    def state_dict(self) -> dict[str, Any]:
        return {"frozen": self.frozen}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != {"frozen"} or not isinstance(state["frozen"], bool):
            msg = f"Fix.load_state_dict expects {{'frozen': bool}} (from Fix.state_dict), got {state!r}."
            raise ValueError(msg)
        self.frozen = state["frozen"]
