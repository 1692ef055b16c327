"""Independent: a fresh model per task, the task-aware upper reference."""

from __future__ import annotations

import copy
from typing import Any

from torch import nn

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.data import Samples
from halite.continual.heads import HeadDIL, HeadsCIL, HeadsTIL
from halite.continual.learner import Learner
from halite.continual.regression import RegressionLearner


def head_spec(learner: Learner | RegressionLearner) -> list[tuple[int, int]]:
    """``(task_id, outputs)`` of every head of ``learner``, in set-up order (what rebuilds them)."""
    h = learner.heads
    if isinstance(h, HeadsCIL):
        return [(t, int(h.get_head(t).out_features)) for t in h.processed_task_ids]
    if isinstance(h, HeadsTIL):
        return [(int(k), int(h.get_head(int(k)).out_features)) for k in h.heads]
    if isinstance(h, HeadDIL):
        head = h.get_head()
        return [] if head is None else [(1, int(head.out_features))]
    if isinstance(learner, RegressionLearner):
        return [(1 if k == "shared" else int(k), 1) for k in learner.heads]
    msg = f"Independent keeps models of the til, cil and dil paradigms, not '{learner.paradigm}'."
    raise ValueError(msg)


def rebuild(template: Learner, spec: list[tuple[int, int]], state: dict[str, Any]) -> Learner:
    """A copy of ``template`` with only the heads of ``spec`` (set up in order), loaded strictly from ``state``."""
    model: Any = copy.deepcopy(template)
    if isinstance(model, RegressionLearner):
        model.heads = nn.ModuleDict()
    else:
        model.heads = type(template.heads)(template.heads.input_dim, keep_existing_heads=False)  # type: ignore[call-arg]
    for task_id, outputs in spec:
        model.setup_task(task_id, outputs)
    model.load_state_dict(state)
    return model.eval()  # type: ignore[no-any-return]


class Independent(ContinualAlgorithm):
    """Train a freshly initialised model on every task and keep one model per task.

    Task ``i`` is always evaluated with the model trained on it, so nothing is forgotten by
    construction; the price is one model per task and no transfer between tasks.
    """

    def __init__(self) -> None:
        self.models: dict[int, Learner] = {}
        #: models restored by ``load_state_dict``, built on first use: task id -> (head spec, weights)
        self._pending: dict[int, tuple[list[tuple[int, int]], dict[str, Any]]] = {}

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        if task_id == 1 and not self.models and not self._pending:
            return
        for module in learner.modules():
            reset = getattr(module, "reset_parameters", None)
            if module is not learner and callable(reset):
                reset()

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        self.models[task_id] = copy.deepcopy(learner).eval()
        self._pending.pop(task_id, None)

    def learner_for(self, learner: Learner, task_id: int) -> Learner:
        if task_id in self._pending:
            spec, state = self._pending.pop(task_id)
            self.models[task_id] = rebuild(learner, spec, state)
        return self.models.get(task_id, learner)

    def state_dict(self) -> dict[str, Any]:
        """Per task id: the heads (``(task_id, outputs)`` in set-up order) and weights of its model."""
        out: dict[int, Any] = {
            t: {"heads": [list(x) for x in spec], "state": state}
            for t, (spec, state) in self._pending.items()
        }
        for t, model in self.models.items():
            out[t] = {"heads": [list(x) for x in head_spec(model)], "state": model.state_dict()}
        return {"models": out}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != {"models"}:
            msg = f"Independent state needs the key 'models', got {sorted(state)}."
            raise ValueError(msg)
        self.models = {}
        self._pending = {
            int(t): ([(int(a), int(b)) for a, b in m["heads"]], m["state"])
            for t, m in state["models"].items()
        }
