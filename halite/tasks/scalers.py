"""Invertible per-target scaling of regression targets (salt's ``RegressionTargetScaler``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor


@dataclass
class TargetScale:
    """How one target is scaled: ``op(x * x_scale + x_off) * op_scale + op_off``.

    Parameters
    ----------
    op
        ``log``, ``exp`` or ``linear`` (identity).
    x_scale, x_off
        Affine map applied before ``op``.
    op_scale, op_off
        Affine map applied after ``op``.
    """

    op: Literal["log", "exp", "linear"] = "linear"
    x_scale: float = 1.0
    x_off: float = 0.0
    op_scale: float = 1.0
    op_off: float = 0.0

    def __post_init__(self) -> None:
        if self.op not in ("log", "exp", "linear"):
            msg = f"Scaler op must be one of ['log', 'exp', 'linear'], got '{self.op}'."
            raise ValueError(msg)
        if self.x_scale == 0 or self.op_scale == 0:
            msg = (
                f"Scaler with x_scale={self.x_scale} and op_scale={self.op_scale} is not invertible; "
                f"both must be non-zero."
            )
            raise ValueError(msg)

    def scale(self, x: Tensor) -> Tensor:
        """Physical value -> network target."""
        u = x * self.x_scale + self.x_off
        if self.op == "log":
            u = torch.log(u)
        elif self.op == "exp":
            u = torch.exp(u)
        return u * self.op_scale + self.op_off

    def inverse(self, y: Tensor) -> Tensor:
        """Network target -> physical value (inverse of ``scale``)."""
        v = (y - self.op_off) / self.op_scale
        if self.op == "log":
            v = torch.exp(v)
        elif self.op == "exp":
            v = torch.log(v)
        return (v - self.x_off) / self.x_scale

    def inverse_slope(self, y: Tensor) -> Tensor:
        """``|d inverse / dy|`` at ``y``: propagates a width in target space to physical units."""
        v = (y - self.op_off) / self.op_scale
        if self.op == "log":
            d = torch.exp(v)
        elif self.op == "exp":
            d = 1.0 / v
        else:
            d = torch.ones_like(v)
        return (d / (self.op_scale * self.x_scale)).abs()


class RegressionTargetScaler:
    """Per-target invertible scaling, e.g. ``{"pt_truth": TargetScale(op="log", x_scale=1e-3)}``.

    Parameters
    ----------
    scales
        Target name -> its ``TargetScale``. In YAML:
        ``scales: {pt_truth: {op: log, x_scale: 0.001}}``.
    """

    def __init__(self, scales: Mapping[str, TargetScale]) -> None:
        if not scales:
            msg = "RegressionTargetScaler needs at least one target in `scales`."
            raise ValueError(msg)
        self.scales = {k: v if isinstance(v, TargetScale) else TargetScale(**v) for k, v in scales.items()}

    def check_targets(self, targets: list[str], task_name: str) -> None:
        """Raise unless every target has a scale."""
        missing = [t for t in targets if t not in self.scales]
        if missing:
            msg = (
                f"Task '{task_name}': the scaler has no entry for targets {missing} (it has "
                f"{sorted(self.scales)}). Add them under scaler.init_args.scales."
            )
            raise ValueError(msg)

    def _get(self, target: str) -> TargetScale:
        if target not in self.scales:
            msg = f"RegressionTargetScaler has no entry for target '{target}' (has {sorted(self.scales)})."
            raise KeyError(msg)
        return self.scales[target]

    def scale(self, target: str, values: Tensor) -> Tensor:
        """Scale physical ``values`` of ``target``."""
        return self._get(target).scale(values)

    def inverse(self, target: str, values: Tensor) -> Tensor:
        """Physical values of ``target`` from scaled ``values``."""
        return self._get(target).inverse(values)

    def inverse_slope(self, target: str, values: Tensor) -> Tensor:
        """``|d inverse / dy|`` of ``target`` at the scaled ``values``."""
        return self._get(target).inverse_slope(values)

    def __repr__(self) -> str:
        return f"RegressionTargetScaler({self.scales})"
