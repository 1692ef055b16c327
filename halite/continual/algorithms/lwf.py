"""Learning without forgetting: distil the previous model's old-task outputs on new data."""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.learner import Learner


def distillation_loss(new: Tensor, old: Tensor, temperature: float) -> Tensor:
    """Knowledge-distillation loss ``T^2 * KL(softmax(old / T) || softmax(new / T))``, mean over ``B``.

    Parameters
    ----------
    new, old
        Logits ``(B, C)`` of the model in training and of the frozen previous model.
    """
    log_p = F.log_softmax(new / temperature, dim=-1)
    q = F.softmax(old / temperature, dim=-1)
    return F.kl_div(log_p, q, reduction="batchmean") * temperature**2


class LwF(ContinualAlgorithm):
    """LwF (Li & Hoiem, ECCV 2016, arXiv:1606.09282).

    Before task ``t`` the model is frozen; while training ``t`` the outputs of the old
    tasks' heads on the new inputs are kept close to the frozen model's (temperature-scaled
    distillation). Needs no stored data.

    Parameters
    ----------
    alpha
        Weight of the distillation loss (``lambda_o`` in the paper).
    temperature
        Softmax temperature ``T`` (the paper uses 2).
    """

    def __init__(self, alpha: float = 1.0, temperature: float = 2.0) -> None:
        if alpha < 0 or temperature <= 0:
            msg = f"LwF needs alpha >= 0 and temperature > 0; got alpha={alpha}, temperature={temperature}."
            raise ValueError(msg)
        self.alpha = alpha
        self.temperature = temperature
        self.old: Learner | None = None
        self.seen: list[int] = []

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        self.old = None
        if self.seen:
            self.old = copy.deepcopy(learner).eval()
            for p in self.old.parameters():
                p.requires_grad_(False)

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        if self.old is None:
            return feats.new_zeros(())
        with torch.no_grad():
            old_out = self.old.distill_logits(self.old.features(batch), self.seen)
        new_out = learner.distill_logits(feats, self.seen)
        loss = sum(
            (distillation_loss(n, o, self.temperature) for n, o in zip(new_out, old_out)), feats.new_zeros(())
        )
        return self.alpha * loss

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        if task_id not in self.seen:
            self.seen.append(task_id)
        self.old = None

    def state_dict(self) -> dict[str, Any]:
        """The tasks learnt so far (the frozen copy is rebuilt by ``before_task``)."""
        return {"seen": list(self.seen)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != {"seen"}:
            msg = f"LwF state needs the key 'seen', got {sorted(state)}."
            raise ValueError(msg)
        self.seen = [int(t) for t in state["seen"]]
