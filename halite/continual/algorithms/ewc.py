"""Elastic weight consolidation: a quadratic penalty weighted by the Fisher information."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.learner import Learner


class EWC(ContinualAlgorithm):
    """EWC (Kirkpatrick et al., PNAS 114 (2017) 3521, arXiv:1612.00796).

    After task ``k`` the parameters ``theta*_k`` and the diagonal of the empirical Fisher
    information ``F_k = E[(d log p(y|x) / d theta)^2]`` on the task's training samples are
    stored; training later tasks adds ``lam / 2 * sum_k sum_i F_k,i (theta_i - theta*_k,i)^2``
    (one penalty per earlier task, as in the paper).

    Parameters
    ----------
    lam
        Strength ``lambda`` of the penalty.
    fisher_samples
        Training samples used to estimate the Fisher (-1 = all).
    fisher_batch_size
        Samples per gradient in the estimate; 1 gives the exact per-sample empirical
        Fisher, larger values a faster approximation (squared mini-batch gradients).
    """

    def __init__(self, lam: float = 100.0, fisher_samples: int = 500, fisher_batch_size: int = 1) -> None:
        if lam < 0:
            msg = f"EWC.lam must be >= 0, got {lam}."
            raise ValueError(msg)
        if fisher_batch_size < 1 or fisher_samples == 0 or fisher_samples < -1:
            msg = f"EWC needs fisher_batch_size >= 1 and fisher_samples > 0 (or -1); got {fisher_batch_size}, {fisher_samples}."
            raise ValueError(msg)
        self.lam = lam
        self.fisher_samples = fisher_samples
        self.fisher_batch_size = fisher_batch_size
        #: per earlier task: (anchor parameters, Fisher diagonal), keyed by parameter name
        self.consolidated: list[tuple[dict[str, Tensor], dict[str, Tensor]]] = []

    def fisher(self, learner: Learner, samples: Samples) -> dict[str, Tensor]:
        """Diagonal empirical Fisher of ``learner`` on ``samples`` (labels of their own tasks)."""
        params = {n: p for n, p in learner.named_parameters() if p.requires_grad}
        out = {n: torch.zeros_like(p) for n, p in params.items()}
        n = len(samples) if self.fisher_samples < 0 else min(self.fisher_samples, len(samples))
        idx = torch.randperm(len(samples))[:n]
        device = next(learner.parameters()).device
        was_training = learner.training
        learner.eval()
        for start in range(0, n, self.fisher_batch_size):
            part = samples.take(idx[start : start + self.fisher_batch_size]).to(device)
            learner.zero_grad(set_to_none=True)
            learner.loss(learner.features(part), part).backward()
            for name, p in params.items():
                if p.grad is not None:
                    out[name] += p.grad.detach() ** 2 * len(part)
        learner.zero_grad(set_to_none=True)
        learner.train(was_training)
        return {name: f / max(n, 1) for name, f in out.items()}

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        fisher = self.fisher(learner, train)
        anchor = {n: p.detach().clone() for n, p in learner.named_parameters() if n in fisher}
        self.consolidated.append((anchor, fisher))

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        return self.penalty(learner) if self.consolidated else feats.new_zeros(())

    def penalty(self, learner: Learner) -> Tensor:
        """``lam / 2 * sum_k sum_i F_k,i (theta_i - theta*_k,i)^2`` over the stored tasks."""
        params = dict(learner.named_parameters())
        total = next(iter(params.values())).new_zeros(())
        for anchor, fisher in self.consolidated:
            for name, f in fisher.items():
                total = total + (f * (params[name] - anchor[name]) ** 2).sum()
        return 0.5 * self.lam * total

    def state_dict(self) -> dict[str, Any]:
        """Anchor parameters and Fisher diagonal of every consolidated task, in order."""
        return {
            "consolidated": [
                {
                    "anchor": {n: t.clone() for n, t in a.items()},
                    "fisher": {n: t.clone() for n, t in f.items()},
                }
                for a, f in self.consolidated
            ]
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != {"consolidated"}:
            msg = f"EWC state needs the key 'consolidated', got {sorted(state)}."
            raise ValueError(msg)
        out = []
        for k, entry in enumerate(state["consolidated"], start=1):
            if set(entry) != {"anchor", "fisher"} or set(entry["anchor"]) != set(entry["fisher"]):
                msg = f"EWC state: entry {k} needs 'anchor' and 'fisher' over the same parameters."
                raise ValueError(msg)
            out.append(
                (
                    {n: t.clone() for n, t in entry["anchor"].items()},
                    {n: t.clone() for n, t in entry["fisher"].items()},
                )
            )
        self.consolidated = out
