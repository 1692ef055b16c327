"""In-memory task data of a continual-learning benchmark: samples, tasks, the benchmark interface."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from halite.nn.backbone import InputInfo
from halite.typing import Masks, Tensors

__all__ = ["Benchmark", "InputInfo", "Samples", "TaskData"]


@dataclass
class Samples:
    """Labelled samples of one task (or a mixture of tasks), held in memory.

    Parameters
    ----------
    inputs
        Per stream: ``(n, F)`` for flat inputs and the global object, ``(n, N, F)`` for
        constituent streams.
    pad_masks
        ``(n, N)`` per constituent stream, ``True`` = padding.
    y
        ``(n,)`` int64 class index within the sample's task (``0..C_t-1``).
    task_ids
        ``(n,)`` int64 task id of every sample (from 1, as the heads count tasks).
    """

    inputs: Tensors
    pad_masks: Masks
    y: Tensor
    task_ids: Tensor

    def __post_init__(self) -> None:
        n = int(self.y.shape[0])
        for name, t in [*self.inputs.items(), *self.pad_masks.items(), ("task_ids", self.task_ids)]:
            if int(t.shape[0]) != n:
                msg = f"Samples: '{name}' has {t.shape[0]} rows but the labels have {n}."
                raise ValueError(msg)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, idx: Tensor) -> Samples:
        """Rows ``idx`` ``(k,)``."""
        return Samples(
            {k: v[idx] for k, v in self.inputs.items()},
            {k: v[idx] for k, v in self.pad_masks.items()},
            self.y[idx],
            self.task_ids[idx],
        )

    def to(self, device: torch.device | str) -> Samples:
        """Move every tensor to ``device``."""
        return Samples(
            {k: v.to(device) for k, v in self.inputs.items()},
            {k: v.to(device) for k, v in self.pad_masks.items()},
            self.y.to(device),
            self.task_ids.to(device),
        )

    @staticmethod
    def cat(parts: list[Samples]) -> Samples:
        """Concatenate samples of the same streams (constituent streams padded to the longest)."""
        if not parts:
            msg = "Samples.cat needs at least one part."
            raise ValueError(msg)
        inputs: Tensors = {}
        masks: Masks = {}
        for name in parts[0].inputs:
            if name in parts[0].pad_masks:
                n = max(p.inputs[name].shape[1] for p in parts)
                inputs[name] = torch.cat([_pad_slots(p.inputs[name], n, 0.0) for p in parts])
                masks[name] = torch.cat([_pad_slots(p.pad_masks[name], n, True) for p in parts])
            else:
                inputs[name] = torch.cat([p.inputs[name] for p in parts])
        return Samples(
            inputs,
            masks,
            torch.cat([p.y for p in parts]),
            torch.cat([p.task_ids for p in parts]),
        )


def _pad_slots(x: Tensor, n: int, value: float | bool) -> Tensor:
    """Pad axis 1 of ``x`` to ``n`` slots with ``value``."""
    if x.shape[1] == n:
        return x
    pad = x.new_full((x.shape[0], n - x.shape[1], *x.shape[2:]), value)
    return torch.cat([x, pad], dim=1)


@dataclass
class TaskData:
    """One task of a sequence.

    Parameters
    ----------
    name
        Task name (used in the metrics files).
    class_names
        Names of the task's classes; label ``c`` of ``train``/``test`` is ``class_names[c]``.
    train, test
        The task's training and test samples.
    """

    name: str
    class_names: list[str]
    train: Samples
    test: Samples

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


class Benchmark:
    """A sequence of tasks; subclasses load or build them (``tasks``) and describe the inputs."""

    def tasks(self) -> list[TaskData]:
        """The tasks in training order."""
        raise NotImplementedError

    def input_info(self) -> InputInfo:
        """Streams, variables and normalisation of the inputs."""
        raise NotImplementedError
