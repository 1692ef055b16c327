"""A backbone with the heads of one paradigm: logits, targets and the loss per task."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from halite.continual.backbones import Backbone
from halite.continual.data import Samples
from halite.continual.heads import HeadDIL, HeadsCIL, HeadsMTL, HeadsTIL, HeadSTL

Paradigm = Literal["til", "cil", "dil", "mtl", "stl"]
PARADIGMS: tuple[str, ...] = Paradigm.__args__  # type: ignore[attr-defined]


class Learner(nn.Module):
    """Backbone + paradigm heads.

    Task ids count from 1 (CLArena's convention); they key the heads and are the
    ``task_ids`` of the samples. Labels ``y`` of a task are local (``0..C_t-1``); ``targets``
    turns them into the columns of ``task_logits`` (in the class-incremental setting, shifted
    by the classes of the earlier tasks).

    Parameters
    ----------
    backbone
        A built backbone exposing ``out_features``.
    paradigm
        ``til``, ``cil``, ``dil``, ``mtl`` or ``stl``.
    keep_existing_heads
        For ``til``, ``cil`` and ``dil``: passed to the heads; ``True`` keeps the head of a task
        whose set-up runs again (halite's option), ``False`` replaces it with a fresh one
        (CLArena, the default). The ``dil`` head is set up once either way (as CLArena's
        algorithms do, on ``if_head_setup()``).
    """

    def __init__(self, backbone: Backbone, paradigm: Paradigm, keep_existing_heads: bool = False) -> None:
        super().__init__()
        if paradigm not in PARADIGMS:
            msg = f"Unknown paradigm '{paradigm}'. Choose one of {list(PARADIGMS)}."
            raise ValueError(msg)
        self.backbone = backbone
        self.paradigm = paradigm
        dim = int(backbone.out_features)
        self.heads: HeadsTIL | HeadsCIL | HeadDIL | HeadsMTL | HeadSTL
        if paradigm == "til":
            self.heads = HeadsTIL(dim, keep_existing_heads=keep_existing_heads)
        elif paradigm == "cil":
            self.heads = HeadsCIL(dim, keep_existing_heads=keep_existing_heads)
        elif paradigm == "dil":
            self.heads = HeadDIL(dim, keep_existing_heads=keep_existing_heads)
        elif keep_existing_heads:
            msg = f"keep_existing_heads is for the til, cil and dil paradigms, not '{paradigm}'. Remove it."
            raise ValueError(msg)
        else:
            self.heads = HeadsMTL(dim) if paradigm == "mtl" else HeadSTL(dim)

    def setup_task(self, task_id: int, num_classes: int) -> None:
        """Create the head(s) for task ``task_id`` (from 1) before training it.

        As CLArena's ``CLAlgorithm.setup_task_id``: ``til`` / ``cil`` call
        ``setup_task_id(task_id, num_classes)``; ``dil`` calls ``setup_task(num_classes)`` only
        while ``if_head_setup()`` is False (and checks that later tasks have the same classes);
        ``stl`` calls ``setup_task(num_classes)``.
        """
        h = self.heads
        if isinstance(h, (HeadsTIL, HeadsCIL)):
            h.setup_task_id(task_id, num_classes)
        elif isinstance(h, HeadDIL):
            head = h.get_head()
            if not h.if_head_setup() or head is None:
                h.setup_task(num_classes)
            elif head.out_features != num_classes:
                msg = (
                    f"Every domain-incremental task must have the same classes; the dil head has "
                    f"{head.out_features}, task {task_id} {num_classes}. Use the 'cil' paradigm for new classes."
                )
                raise ValueError(msg)
        elif isinstance(h, HeadSTL):
            h.setup_task(num_classes)
        else:
            msg = "The mtl paradigm sets up all heads at once: call setup_tasks(task_ids, num_classes)."
            raise RuntimeError(msg)

    def setup_tasks(self, task_ids: list[int], num_classes: dict[int, int] | list[int]) -> None:
        """Create every head of a multi-task learner (``num_classes`` per task id, or aligned)."""
        if not isinstance(self.heads, HeadsMTL):
            msg = f"setup_tasks is for the mtl paradigm; this learner is '{self.paradigm}'."
            raise RuntimeError(msg)
        self.heads.setup_tasks(task_ids, num_classes)

    def features(self, samples: Samples) -> Tensor:
        """Backbone features ``(B, D)``."""
        return self.backbone(samples.inputs, samples.pad_masks)

    def task_logits(self, feats: Tensor, task_id: int) -> Tensor:
        """Logits used to predict samples of task ``task_id``: ``(B, C)``."""
        if isinstance(self.heads, (HeadsTIL, HeadsMTL)):
            return self.heads(feats, task_id)
        return self.heads(feats)

    def targets(self, y: Tensor, task_id: int) -> Tensor:
        """Columns of ``task_logits`` for local labels ``y`` ``(B,)`` of task ``task_id``."""
        if isinstance(self.heads, HeadsCIL):
            return y + self.heads.class_offset(task_id)
        return y

    def loss(self, feats: Tensor, samples: Samples) -> Tensor:
        """Mean cross-entropy over samples of one or several tasks (routed by ``task_ids``)."""
        if isinstance(self.heads, HeadsMTL):
            return F.cross_entropy(self.heads(feats, samples.task_ids), samples.y)
        total = feats.new_zeros(())
        for t in torch.unique(samples.task_ids).tolist():
            rows = torch.nonzero(samples.task_ids == t, as_tuple=True)[0]
            logits = self.task_logits(feats[rows], int(t))
            total = total + F.cross_entropy(logits, self.targets(samples.y[rows], int(t)), reduction="sum")
        return total / max(len(samples), 1)

    def distill_logits(self, feats: Tensor, old_task_ids: list[int]) -> list[Tensor]:
        """The outputs of the heads of ``old_task_ids``, as a learner trained on them had them.

        TIL: one ``(B, C_j)`` per old task; CIL: the old tasks' columns ``(B, sum C_j)``;
        DIL: the shared head ``(B, C)``. Used by LwF.
        """
        h = self.heads
        if isinstance(h, HeadsTIL):
            return [h(feats, j) for j in old_task_ids]
        if isinstance(h, HeadsCIL):
            return [torch.cat([h.get_head(j)(feats) for j in old_task_ids], dim=-1)]
        if isinstance(h, HeadDIL):
            return [h(feats)]
        msg = f"Distillation on old heads needs a continual paradigm (til, cil, dil), not '{self.paradigm}'."
        raise ValueError(msg)

    @torch.no_grad()
    def accuracy(self, samples: Samples, task_id: int, batch_size: int = 1024) -> float:
        """Fraction of ``samples`` of task ``task_id`` classified correctly."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        correct = 0
        for start in range(0, len(samples), batch_size):
            part = samples.take(torch.arange(start, min(start + batch_size, len(samples)))).to(device)
            pred = self.task_logits(self.features(part), task_id).argmax(dim=-1)
            correct += int((pred == self.targets(part.y, task_id)).sum())
        self.train(was_training)
        return correct / max(len(samples), 1)
