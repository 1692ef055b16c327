"""Averaged GEM: project the gradient so that the loss on the episodic memory does not grow."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.learner import Learner


def project(g: Tensor, g_ref: Tensor) -> Tensor:
    """A-GEM's projection (eq. 11 of the paper) of the flat gradient ``g`` ``(P,)`` on ``g_ref`` ``(P,)``.

    ``g - (g . g_ref) / (g_ref . g_ref) * g_ref`` when ``g . g_ref < 0``, else ``g`` unchanged.
    """
    dot = torch.dot(g, g_ref)
    if dot >= 0:
        return g
    return g - dot / torch.dot(g_ref, g_ref) * g_ref


class AGEM(ContinualAlgorithm):
    """A-GEM (Chaudhry, Ranzato, Rohrbach and Elhoseiny, ICLR 2019, arXiv:1812.00420).

    After each task ``memory_per_task`` random training samples of it enter the episodic
    memory ``M``. On every later step, after the backward pass of the batch loss (gradient
    ``g``), the reference gradient ``g_ref`` of the loss on ``ref_batch_size`` random samples of
    ``M`` (each under its own task's head) is computed with a backward pass of its own; if
    ``g . g_ref < 0`` the update uses ``g - (g . g_ref) / (g_ref . g_ref) g_ref`` instead, so
    that, to first order, it does not increase the average loss on the memory. The batch's
    gradients are saved before and written back (projected) after the reference pass.

    Parameters
    ----------
    memory_per_task
        Samples of each task kept in the episodic memory (random, written at the end of the task).
    ref_batch_size
        Memory samples in the batch of ``g_ref``; the whole memory if smaller.
    """

    def __init__(self, memory_per_task: int = 250, ref_batch_size: int = 256) -> None:
        if memory_per_task < 1 or ref_batch_size < 1:
            msg = f"AGEM needs memory_per_task >= 1 and ref_batch_size >= 1; got {memory_per_task}, {ref_batch_size}."
            raise ValueError(msg)
        self.memory_per_task = memory_per_task
        self.ref_batch_size = ref_batch_size
        #: episodic memory, by task id
        self.memory: dict[int, Samples] = {}
        #: projections made / steps seen in the current task (diagnostics)
        self.projections = 0
        self.steps = 0

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        self.projections = self.steps = 0

    def reference_batch(self) -> Samples:
        """``ref_batch_size`` random samples of the whole memory."""
        mem = Samples.cat([self.memory[t] for t in sorted(self.memory)])
        return mem.take(torch.randperm(len(mem))[: self.ref_batch_size])

    def after_backward(self, learner: Learner, task_id: int) -> None:
        self.steps += 1
        if not self.memory:
            return
        params = [p for p in learner.parameters() if p.requires_grad]
        saved = [None if p.grad is None else p.grad.detach().clone() for p in params]
        g = torch.cat(
            [torch.zeros_like(p).flatten() if s is None else s.flatten() for p, s in zip(params, saved)]
        )
        ref = self.reference_batch().to(g.device)
        for p in params:
            p.grad = None
        with torch.enable_grad():
            learner.loss(learner.features(ref), ref).backward()
        g_ref = torch.cat(
            [torch.zeros_like(p).flatten() if p.grad is None else p.grad.flatten() for p in params]
        )
        dot = torch.dot(g, g_ref)
        if dot < 0:
            self.projections += 1
            g = project(g, g_ref)
            start = 0
            for p in params:
                n = p.numel()
                p.grad = g[start : start + n].view_as(p).clone()
                start += n
            return
        for p, s in zip(params, saved):
            p.grad = s

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        n = min(self.memory_per_task, len(train))
        self.memory[task_id] = train.take(torch.randperm(len(train))[:n]).to("cpu")

    def state_dict(self) -> dict[str, Any]:
        """The episodic memory: per task id, its samples as tensors."""
        return {
            "memory": {
                t: {
                    "inputs": dict(m.inputs),
                    "pad_masks": dict(m.pad_masks),
                    "y": m.y,
                    "task_ids": m.task_ids,
                }
                for t, m in self.memory.items()
            }
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != {"memory"}:
            msg = f"AGEM state needs the key 'memory', got {sorted(state)}."
            raise ValueError(msg)
        self.memory = {
            int(t): Samples(dict(m["inputs"]), dict(m["pad_masks"]), m["y"], m["task_ids"])
            for t, m in state["memory"].items()
        }
