"""Synaptic Intelligence: per-parameter importance from the path integral of the task loss."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.learner import Learner


class SI(ContinualAlgorithm):
    """Synaptic Intelligence (Zenke, Poole and Ganguli, ICML 2017, arXiv:1703.04200).

    During task ``mu`` every optimiser step adds to the path integral of each parameter
    ``theta_k``

        ``omega_k += -g_k * delta_theta_k``,

    where ``g_k`` is the gradient of the task loss (without the surrogate below) before the
    step and ``delta_theta_k`` the change the step made. At the end of the task the
    importance grows by

        ``Omega_k += omega_k / ((Delta_k)^2 + xi)``,

    ``Delta_k = theta_k(end of task) - theta_k(start of task)``; ``omega`` is reset and the
    anchor ``theta*_k`` becomes the parameters at the end of the task. Later tasks train on
    ``L + c * sum_k Omega_k (theta_k - theta*_k)^2`` (eq. 4 of the paper, the sums of eq. 5
    accumulated over the earlier tasks).

    The task-loss gradient is ``p.grad`` after the backward pass minus the surrogate's own
    gradient ``2 c Omega_k (theta_k - theta*_k)``, which is exact (the surrogate is quadratic).
    Parameters created after a task (new heads) have no importance until their own task ends.

    Parameters
    ----------
    c
        Strength ``c`` of the surrogate loss (the paper uses 0.1 on Permuted MNIST, 1 on Split MNIST).
    xi
        Damping ``xi`` of the importance denominator (the paper's ``1e-3``).
    """

    def __init__(self, c: float = 0.1, xi: float = 1e-3) -> None:
        if c < 0:
            msg = f"SI.c must be >= 0, got {c}. Use c = 0 to switch the surrogate loss off."
            raise ValueError(msg)
        if xi <= 0:
            msg = f"SI.xi must be > 0 (it keeps the importance finite where a parameter did not move), got {xi}."
            raise ValueError(msg)
        self.c = c
        self.xi = xi
        #: importance ``Omega_k`` and anchor ``theta*_k`` (parameters after the last task), by parameter name
        self.omega: dict[str, Tensor] = {}
        self.anchor: dict[str, Tensor] = {}
        #: path integral ``omega_k`` of the current task and the parameters at its start
        self.path: dict[str, Tensor] = {}
        self.start: dict[str, Tensor] = {}
        self._grad: dict[str, Tensor] = {}
        self._before: dict[str, Tensor] = {}

    @staticmethod
    def _params(learner: Learner) -> dict[str, Tensor]:
        return {n: p for n, p in learner.named_parameters() if p.requires_grad}

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        params = self._params(learner)
        self.omega = {n: o.to(params[n].device) for n, o in self.omega.items()}
        self.anchor = {n: a.to(params[n].device) for n, a in self.anchor.items()}
        self.start = {n: p.detach().clone() for n, p in params.items()}
        self.path = {n: torch.zeros_like(p) for n, p in params.items()}

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        return self.surrogate(learner) if self.omega else feats.new_zeros(())

    def surrogate(self, learner: Learner) -> Tensor:
        """``c * sum_k Omega_k (theta_k - theta*_k)^2`` (a scalar with gradients)."""
        params = dict(learner.named_parameters())
        total = next(iter(params.values())).new_zeros(())
        for name, om in self.omega.items():
            total = total + (om * (params[name] - self.anchor[name]) ** 2).sum()
        return self.c * total

    def after_backward(self, learner: Learner, task_id: int) -> None:
        self._grad, self._before = {}, {}
        for name, p in self._params(learner).items():
            if p.grad is None:
                continue
            g = p.grad.detach().clone()
            if name in self.omega:  # remove the surrogate's gradient: the path integral is of the task loss
                g -= 2.0 * self.c * self.omega[name] * (p.detach() - self.anchor[name])
            self._grad[name] = g
            self._before[name] = p.detach().clone()

    def after_step(self, learner: Learner, task_id: int) -> None:
        params = self._params(learner)
        for name, g in self._grad.items():
            if name not in self.path:  # a parameter created after before_task
                self.path[name] = torch.zeros_like(g)
                self.start.setdefault(name, self._before[name])
            self.path[name] -= g * (params[name].detach() - self._before[name])
        self._grad, self._before = {}, {}

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        params = self._params(learner)
        for name, w in self.path.items():
            theta = params[name].detach()
            delta = theta - self.start[name]
            gain = w / (delta**2 + self.xi)
            self.omega[name] = self.omega[name] + gain if name in self.omega else gain
        self.anchor = {n: p.detach().clone() for n, p in params.items() if n in self.omega}
        self.path, self.start = {}, {}

    def state_dict(self) -> dict[str, Any]:
        """Importance, anchor and the running path integral (with the current task's start)."""
        return {
            "omega": {n: t.clone() for n, t in self.omega.items()},
            "anchor": {n: t.clone() for n, t in self.anchor.items()},
            "path": {n: t.clone() for n, t in self.path.items()},
            "start": {n: t.clone() for n, t in self.start.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        keys = {"omega", "anchor", "path", "start"}
        if set(state) != keys:
            msg = f"SI state needs the keys {sorted(keys)}, got {sorted(state)}."
            raise ValueError(msg)
        if set(state["omega"]) != set(state["anchor"]):
            msg = f"SI state: omega has {sorted(state['omega'])} but anchor has {sorted(state['anchor'])}."
            raise ValueError(msg)
        self.omega = {n: t.clone() for n, t in state["omega"].items()}
        self.anchor = {n: t.clone() for n, t in state["anchor"].items()}
        self.path = {n: t.clone() for n, t in state["path"].items()}
        self.start = {n: t.clone() for n, t in state["start"].items()}
