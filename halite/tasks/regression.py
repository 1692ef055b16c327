"""Regression of one or more targets, optionally with a Gaussian uncertainty."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from halite.tasks.regression_base import NormParams, RegressionTaskBase
from halite.typing import Labels

__all__ = ["GaussianRegressionTask", "NormParams", "RegressionTask", "RegressionTaskBase"]


class RegressionTask(RegressionTaskBase):
    """Point regression: one output per target (default loss ``MSELoss(reduction="none")``).

    Predictions: ``<model>_<target>`` in physical units.

    Parameters
    ----------
    positive
        Pass the head output through a softplus so the (scaled) prediction is positive,
        e.g. for energies without a log scaler.
    **kwargs
        See ``RegressionTaskBase``.
    """

    def __init__(self, *args: Any, positive: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.positive = positive

    def forward(self, x: Tensor, context: Tensor | None = None, pad_mask: Tensor | None = None) -> Tensor:
        out = super().forward(x, context, pad_mask)
        return nn.functional.softplus(out) if self.positive else out

    @property
    def output_size(self) -> int:
        return len(self.targets)

    def describe_outputs(self) -> str:
        return f"{self.output_size} outputs, one per target {self.targets}"

    def loss(self, output: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        target, valid = self.scaled_targets(labels, pad_mask)
        pred = torch.where(valid, output, torch.zeros_like(output))
        assert self.loss_fn is not None
        per = self.loss_fn(pred, target)
        self.check_per_entry(per, target)
        return self.reduce(per, valid, labels, pad_mask)

    def predictions(
        self,
        output: Tensor,
        model_name: str,
        labels: Labels | None = None,
        pad_mask: Tensor | None = None,
    ) -> dict[str, Tensor]:
        values = self.unscale(output, labels)
        if pad_mask is not None:
            values = values.masked_fill(pad_mask.unsqueeze(-1), self.pad_value)
        return {col: values[..., i] for i, col in enumerate(self.output_columns(model_name))}

    def output_columns(self, model_name: str) -> list[str]:
        return [f"{model_name}_{n}" for n in self.output_names]


class GaussianRegressionTask(RegressionTaskBase):
    """Regression with a Gaussian uncertainty (Nix & Weigend, ICNN 1994, doi:10.1109/ICNN.1994.374138).

    The head gives a mean and a variance per target (``2 x targets`` outputs; the
    variance is made positive with a softplus) and is trained with the Gaussian
    negative log-likelihood (default ``GaussianNLLLoss(reduction="none")``).
    Predictions: ``<task>_<target>`` and ``<task>_<target>_stddev`` (named after the task,
    as salt's prediction writer does), both in physical units (the stddev is propagated through the de-scaling to first order).
    """

    @staticmethod
    def default_loss() -> nn.Module:
        return nn.GaussianNLLLoss(reduction="none")

    @property
    def output_size(self) -> int:
        return 2 * len(self.targets)

    def describe_outputs(self) -> str:
        return f"{self.output_size} outputs, a mean and a variance per target {self.targets}"

    @staticmethod
    def split(output: Tensor) -> tuple[Tensor, Tensor]:
        """Means and positive variances ``(..., R)`` each from the head output ``(..., 2R)``."""
        mean, raw_var = output.chunk(2, dim=-1)
        return mean, nn.functional.softplus(raw_var)

    def check_loss(self, loss: nn.Module) -> None:
        if not isinstance(loss, nn.GaussianNLLLoss):
            msg = (
                f"Task '{self.name}': GaussianRegressionTask needs a loss of (mean, target, variance), "
                f"torch.nn.GaussianNLLLoss, got {type(loss).__name__}."
            )
            raise ValueError(msg)

    def loss(self, output: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        target, valid = self.scaled_targets(labels, pad_mask)
        mean, var = self.split(output)
        mean = torch.where(valid, mean, torch.zeros_like(mean))
        var = torch.where(valid, var, torch.ones_like(var))
        assert self.loss_fn is not None
        per = self.loss_fn(mean, target, var)
        self.check_per_entry(per, target)
        return self.reduce(per, valid, labels, pad_mask)

    def predictions(
        self,
        output: Tensor,
        model_name: str,
        labels: Labels | None = None,
        pad_mask: Tensor | None = None,
    ) -> dict[str, Tensor]:
        mean, var = self.split(output.float())
        values = self.unscale(mean, labels)
        stddev = self.unscale_width(mean, var.sqrt(), labels)
        if pad_mask is not None:
            values = values.masked_fill(pad_mask.unsqueeze(-1), self.pad_value)
            stddev = stddev.masked_fill(pad_mask.unsqueeze(-1), self.pad_value)
        cols = self.output_columns(model_name)
        out = {}
        for i in range(len(self.output_names)):
            out[cols[2 * i]] = values[..., i]
            out[cols[2 * i + 1]] = stddev[..., i]
        return out

    def output_columns(self, model_name: str) -> list[str]:
        """Salt's writer names Gaussian columns after the task, not the model.

        ``<task>_<target>`` and ``<task>_<target>_stddev`` (salt's ``get_h5``); halite
        uses ``custom_output_names`` instead of the targets when they are given.
        """
        return [f"{self.name}_{n}{s}" for n in self.output_names for s in ("", "_stddev")]
