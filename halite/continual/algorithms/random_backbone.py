"""Random: the backbone stays at its random initialisation; only the heads learn.

(The module is not called ``random`` so that it does not shadow the standard library's.)
"""

from __future__ import annotations

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.algorithms.fix import freeze_backbone
from halite.continual.data import Samples
from halite.continual.learner import Learner


class Random(ContinualAlgorithm):
    """A randomly initialised, never trained backbone: the reference for what training the backbone buys.

    From the first task on the backbone parameters have ``requires_grad = False`` and the
    backbone runs in eval mode; every task trains only its head(s) on the random features.

    Parameters
    ----------
    train_heads
        ``True`` (default): the heads train. ``False``: nothing trains (every gradient is
        dropped before the optimiser step), the whole model stays as initialised: CLArena's
        ``Random``, the random reference model of the HAT paper (Serra et al., ICML 2018,
        section 4) used to normalise forgetting.
    """

    def __init__(self, train_heads: bool = True) -> None:
        if not isinstance(train_heads, bool):
            msg = f"Random.train_heads must be True or False, got {train_heads!r}."
            raise ValueError(msg)
        self.train_heads = train_heads

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        freeze_backbone(learner)

    def augment(self, learner: Learner, batch: Samples) -> Samples:
        # the loop puts the learner in train mode before the first batch; the fixed part stays in eval mode
        (learner.backbone if self.train_heads else learner).eval()
        return batch

    def after_backward(self, learner: Learner, task_id: int) -> None:
        if not self.train_heads:
            for p in learner.parameters():
                p.grad = None
