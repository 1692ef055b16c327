"""Task wiring shared by the models: required labels and the weighted total loss."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.data.specs import LabelSpec


class MultiTask(nn.Module):
    """Mixin for models holding ``self.tasks`` (an ``nn.ModuleList`` of ``TaskBase``)."""

    tasks: nn.ModuleList

    def required_labels(self) -> dict[str, list[LabelSpec]]:
        """Labels needed by the tasks, per stream (deduplicated by name)."""
        out: dict[str, dict[str, LabelSpec]] = {}
        for task in self.tasks:
            for spec in task.required_labels():  # type: ignore[operator]
                have = out.setdefault(task.input_name, {}).get(spec.name)  # type: ignore[arg-type]
                if have is not None and have != spec:
                    msg = f"Label '{spec.name}' of '{task.input_name}' is requested with two different settings."
                    raise ValueError(msg)
                out[task.input_name][spec.name] = spec  # type: ignore[index]
        return {s: list(d.values()) for s, d in out.items()}

    def total_loss(self, losses: dict[str, Tensor]) -> Tensor:
        """Weighted sum of per-task losses."""
        weights = {t.name: t.weight for t in self.tasks}
        return sum((weights[k] * v for k, v in losses.items()), torch.zeros(()))
