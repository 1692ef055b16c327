"""A backbone with one regression output per task (til) or a shared one (dil): MSE loss, resolution.

It offers what the continual loop and the algorithms call on a ``Learner`` (``setup_task``,
``features``, ``loss``) with ``resolution`` in place of ``accuracy``
(``halite.continual.evaluation.evaluate`` picks it). The targets ``y`` of the samples are
floats ``(n,)``: the physical target, or its logarithm with ``target="log"``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from halite.continual.backbones import Backbone
from halite.continual.data import Samples

RegressionParadigm = Literal["til", "dil"]
Statistic = Literal["iqr", "std"]
#: IQR of a unit Gaussian: IQR / 1.349 estimates sigma
IQR_TO_SIGMA = 1.349


def relative_resolution(
    pred: Tensor, target: Tensor, statistic: Statistic = "iqr", response_normalised: bool = True
) -> float:
    """Width of the relative residual ``r = (pred - target) / target``.

    ``statistic="iqr"`` (default) gives ``IQR(r) / 1.349``, which equals the standard deviation
    for a Gaussian but ignores the non-Gaussian tails of a jet response (a few badly measured
    jets, or outliers early in training, dominate the standard deviation of a small test
    set); ``"std"`` gives the standard deviation. With ``response_normalised`` the width is
    divided by the median response ``1 + median(r)``, as jet-energy resolutions are quoted
    (``sigma(R) / <R>`` with ``R = pred / target``): a prediction scaled by any factor keeps
    its resolution, and a model that predicts ~0 (random initialisation) gets a large one
    rather than a deceptively narrow one; ``inf`` if the median response is <= 0.

    Parameters
    ----------
    pred, target
        ``(n,)`` predictions and targets in physical units (targets > 0).
    """
    r = ((pred - target) / target).double().cpu().numpy()
    if r.size == 0:
        return float("nan")
    if statistic == "iqr":
        q25, q75 = np.percentile(r, [25.0, 75.0])
        width = float(q75 - q25) / IQR_TO_SIGMA
    elif statistic == "std":
        width = float(np.std(r))
    else:
        msg = f"Unknown resolution statistic '{statistic}'. Choose 'iqr' or 'std'."
        raise ValueError(msg)
    if not response_normalised:
        return width
    response = 1.0 + float(np.median(r))
    return width / response if response > 0 else float("inf")


class RegressionLearner(nn.Module):
    """Backbone + a linear regression output per task (``til``) or one shared output (``dil``).

    Parameters
    ----------
    backbone
        A built backbone exposing ``out_features``.
    paradigm
        ``til`` (a new output per task, chosen by the task id) or ``dil`` (one output for all).
    target
        ``linear``: ``y`` is the target; ``log``: ``y`` is ``log(target)`` and the physical
        prediction is ``exp(output)`` (MSE on the log, i.e. on the relative error).
    statistic, response_normalised
        How ``resolution`` measures the width (see ``relative_resolution``).
    y_mean, y_std
        The output is ``y_mean + y_std * linear(features)`` and the loss the mean of
        ``((output - y) / y_std)^2``: with the mean and spread of the first task's ``y`` the
        untrained output starts at the typical target and the loss near 1.
    """

    def __init__(
        self,
        backbone: Backbone,
        paradigm: RegressionParadigm = "dil",
        target: Literal["linear", "log"] = "linear",
        statistic: Statistic = "iqr",
        response_normalised: bool = True,
        y_mean: float = 0.0,
        y_std: float = 1.0,
    ) -> None:
        super().__init__()
        if paradigm not in ("til", "dil"):
            msg = f"RegressionLearner paradigm must be 'til' or 'dil', got '{paradigm}'."
            raise ValueError(msg)
        if target not in ("linear", "log"):
            msg = f"RegressionLearner target must be 'linear' or 'log', got '{target}'."
            raise ValueError(msg)
        if statistic not in ("iqr", "std"):
            msg = f"Unknown resolution statistic '{statistic}'. Choose 'iqr' or 'std'."
            raise ValueError(msg)
        if not y_std > 0:
            msg = f"RegressionLearner y_std must be > 0, got {y_std}."
            raise ValueError(msg)
        self.y_mean, self.y_std = float(y_mean), float(y_std)
        self.backbone = backbone
        self.paradigm = paradigm
        self.target = target
        self.statistic: Statistic = statistic
        self.response_normalised = response_normalised
        self.dim = int(backbone.out_features)
        self.heads = nn.ModuleDict()

    def _key(self, task_id: int) -> str:
        return str(task_id) if self.paradigm == "til" else "shared"

    def setup_task(self, task_id: int, num_outputs: int = 1) -> None:
        """Create the output of task ``task_id`` (til) or the shared one (dil) if it does not exist yet."""
        if num_outputs != 1:
            msg = f"RegressionLearner predicts one target per task; task {task_id} asks for {num_outputs}."
            raise ValueError(msg)
        key = self._key(task_id)
        if key not in self.heads:
            device = next(iter(self.backbone.parameters()), torch.empty(0)).device
            self.heads[key] = nn.Linear(self.dim, 1).to(device)

    def features(self, samples: Samples) -> Tensor:
        """Backbone features ``(B, D)``."""
        return self.backbone(samples.inputs, samples.pad_masks)

    def predict(self, feats: Tensor, task_id: int) -> Tensor:
        """Outputs ``(B,)`` (in the space of ``y``) of task ``task_id`` for features ``(B, D)``."""
        key = self._key(task_id)
        if key not in self.heads:
            msg = f"RegressionLearner has no output for task {task_id}; call setup_task({task_id}) first."
            raise KeyError(msg)
        return self.y_mean + self.y_std * self.heads[key](feats).squeeze(-1)

    def loss(self, feats: Tensor, samples: Samples) -> Tensor:
        """Mean squared error ``((output - y) / y_std)^2`` over samples of one or several tasks (routed by ``task_ids``)."""
        total = feats.new_zeros(())
        for t in torch.unique(samples.task_ids).tolist():
            rows = torch.nonzero(samples.task_ids == t, as_tuple=True)[0]
            err = (self.predict(feats[rows], int(t)) - samples.y[rows].to(feats.dtype)) / self.y_std
            total = total + (err**2).sum()
        return total / max(len(samples), 1)

    def physical(self, y: Tensor) -> Tensor:
        """Outputs or targets ``(B,)`` in the space of ``y`` -> physical units."""
        return torch.exp(y) if self.target == "log" else y

    def distill_logits(self, feats: Tensor, old_task_ids: list[int]) -> list[Tensor]:
        """Not defined: distilling softmax outputs (LwF) has no meaning for a single regression output."""
        msg = (
            "RegressionLearner has no class logits to distil: LwF's softmax distillation of a single "
            "regression output is identically zero. Use EWC, Replay or Independent for regression."
        )
        raise NotImplementedError(msg)

    @torch.no_grad()
    def resolution(self, samples: Samples, task_id: int, batch_size: int = 1024) -> float:
        """Relative resolution (``relative_resolution``) of task ``task_id``'s output on ``samples``."""
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        preds = []
        for start in range(0, len(samples), batch_size):
            part = samples.take(torch.arange(start, min(start + batch_size, len(samples)))).to(device)
            preds.append(self.predict(self.features(part), task_id))
        self.train(was_training)
        pred = self.physical(torch.cat(preds)) if preds else torch.empty(0)
        target = self.physical(samples.y.to(pred.dtype).to(pred.device))
        return relative_resolution(pred, target, self.statistic, self.response_normalised)
