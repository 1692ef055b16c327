"""The shared part of the regression tasks: targets, scaling, masking and the reduction of the loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from halite.data.specs import LabelSpec
from halite.nn.layers.dense import DenseConfig
from halite.tasks.base import TaskBase, require_unreduced, sample_count
from halite.tasks.scalers import RegressionTargetScaler
from halite.typing import Labels


@dataclass
class NormParams:
    """Mean / std standardisation of the targets: ``(x - mean) / std``, one entry per target.

    Parameters
    ----------
    mean
        Means in target order; a single number for a single target (salt's
        ``norm_params: {mean: 1.0, std: 1.0}``).
    std
        Standard deviations in target order (> 0); a number for a single target.
    """

    mean: list[float] | float
    std: list[float] | float

    def __post_init__(self) -> None:
        self.mean = (
            [float(self.mean)] if isinstance(self.mean, int | float) else [float(m) for m in self.mean]
        )
        self.std = [float(self.std)] if isinstance(self.std, int | float) else [float(v) for v in self.std]

    @property
    def means(self) -> list[float]:
        """The means as a list."""
        return self.mean if isinstance(self.mean, list) else [self.mean]

    @property
    def stds(self) -> list[float]:
        """The standard deviations as a list."""
        return self.std if isinstance(self.std, list) else [self.std]


def _as_list(value: str | list[str] | None) -> list[str] | None:
    return [value] if isinstance(value, str) else (list(value) if value is not None else None)


class RegressionTaskBase(TaskBase):
    """Common target handling of the regression heads.

    At most one scaling method is used at a time; predictions are always written
    de-scaled, in the physical units of the targets. Targets that are NaN (or
    padded constituents) are masked out of the loss.

    Parameters
    ----------
    targets
        Target field(s) in the ``input_name`` stream, read as float values.
    scaler
        Invertible per-target functional scaling (log / exp / linear).
    target_denominators
        Regress ``target / denominator`` (one denominator field per target, read from
        the same stream); predictions are multiplied back.
    norm_params
        Standardise each target with a mean and std.
    custom_output_names
        Column names (after the model prefix) instead of the target names.
    sample_weight
        Name of a per-sample weight field in the ``input_name`` stream. As in salt the
        loss is then ``sum(w * l) / n`` over all ``n`` entries (jets x targets; NaN targets
        count with ``l = 0``), not divided by the weight sum (see ``sample_count``).
    mean_over
        Unweighted loss: mean over the ``"valid"`` entries, or over all ``"entries"``
        with NaN targets as ``l = 0`` (salt's ``nan_loss``, see ``sample_count``).
    """

    pad_value = float("nan")  # salt writes NaN for padded constituents

    def __init__(
        self,
        name: str,
        input_name: str,
        targets: str | list[str],
        scaler: RegressionTargetScaler | None = None,
        target_denominators: str | list[str] | None = None,
        norm_params: NormParams | None = None,
        custom_output_names: str | list[str] | None = None,
        sample_weight: str | None = None,
        dense_config: DenseConfig | None = None,
        loss: nn.Module | None = None,
        weight: float = 1.0,
        mean_over: Literal["valid", "entries"] = "valid",
    ) -> None:
        loss = loss if loss is not None else self.default_loss()
        super().__init__(name, input_name, dense_config, loss, weight)
        require_unreduced(name, loss)
        self.check_loss(loss)
        self.targets = _as_list(targets) or []
        if not self.targets:
            msg = f"Task '{name}': give at least one regression target in `targets`."
            raise ValueError(msg)
        given = [
            k
            for k, v in (
                ("scaler", scaler),
                ("target_denominators", target_denominators),
                ("norm_params", norm_params),
            )
            if v is not None
        ]
        if len(given) > 1:
            msg = f"Task '{name}': use a single scaling method at a time; got {given}. Keep one of them."
            raise ValueError(msg)
        self.scaler = scaler
        if scaler is not None:
            scaler.check_targets(self.targets, name)
        self.target_denominators = _as_list(target_denominators)
        n = len(self.targets)
        if self.target_denominators is not None and len(self.target_denominators) != n:
            msg = (
                f"Task '{name}': {len(self.target_denominators)} target_denominators "
                f"{self.target_denominators} for {n} targets {self.targets}; give one per target."
            )
            raise ValueError(msg)
        self.sample_weight = sample_weight
        if mean_over not in ("valid", "entries"):
            msg = f"Task '{name}': mean_over '{mean_over}' is unknown; use 'valid' or 'entries' (salt's)."
            raise ValueError(msg)
        self.mean_over = mean_over
        if isinstance(norm_params, dict):  # salt passes a plain dict
            norm_params = NormParams(**norm_params)
        self.norm_params = norm_params
        if norm_params is not None:
            for key in ("mean", "std"):
                values = getattr(norm_params, key)
                if len(values) != n:
                    msg = (
                        f"Task '{name}': norm_params.{key} has {len(values)} values {values} for {n} targets "
                        f"{self.targets}; give one per target."
                    )
                    raise ValueError(msg)
            if any(not s > 0 for s in norm_params.stds):
                msg = f"Task '{name}': norm_params.std must be > 0, got {norm_params.std}."
                raise ValueError(msg)
        self.custom_output_names = _as_list(custom_output_names)
        if self.custom_output_names is not None and len(self.custom_output_names) != n:
            msg = (
                f"Task '{name}': {len(self.custom_output_names)} custom_output_names "
                f"{self.custom_output_names} for {n} targets {self.targets}; give one per target."
            )
            raise ValueError(msg)

    @staticmethod
    def default_loss() -> nn.Module:
        """Loss used when none is configured."""
        return nn.MSELoss(reduction="none")

    def check_loss(self, loss: nn.Module) -> None:
        """Raise if ``loss`` cannot train this head (subclasses with special needs)."""

    @property
    def output_names(self) -> list[str]:
        """Column names of the targets (without the model prefix)."""
        return self.custom_output_names or self.targets

    def required_labels(self) -> list[LabelSpec]:
        names = [*self.targets, *(self.target_denominators or []), *filter(None, [self.sample_weight])]
        return [LabelSpec(n, "value") for n in dict.fromkeys(names)]

    def _stack(self, labels: Labels | None, names: list[str], what: str) -> Tensor:
        stream = (labels or {}).get(self.input_name, {})
        missing = [n for n in names if n not in stream]
        if missing:
            msg = (
                f"Task '{self.name}': {what} {missing} of stream '{self.input_name}' are not in the batch; "
                f"they are read when the task's required_labels() reach the data module."
            )
            raise ValueError(msg)
        return torch.stack([stream[n].float() for n in names], dim=-1)

    def scale(self, raw: Tensor, labels: Labels | None) -> Tensor:
        """Physical targets ``(..., R)`` -> network targets."""
        if self.scaler is not None:
            cols = [self.scaler.scale(t, raw[..., i]) for i, t in enumerate(self.targets)]
            return torch.stack(cols, dim=-1)
        if self.target_denominators is not None:
            return raw / self._stack(labels, self.target_denominators, "target_denominators")
        if self.norm_params is not None:
            mean = raw.new_tensor(self.norm_params.means)
            std = raw.new_tensor(self.norm_params.stds)
            return (raw - mean) / std
        return raw

    def unscale(self, pred: Tensor, labels: Labels | None) -> Tensor:
        """Network outputs ``(..., R)`` -> physical units (inverse of ``scale``)."""
        pred = pred.float()
        if self.scaler is not None:
            cols = [self.scaler.inverse(t, pred[..., i]) for i, t in enumerate(self.targets)]
            return torch.stack(cols, dim=-1)
        if self.target_denominators is not None:
            return pred * self._stack(labels, self.target_denominators, "target_denominators")
        if self.norm_params is not None:
            return pred * pred.new_tensor(self.norm_params.stds) + pred.new_tensor(self.norm_params.means)
        return pred

    def unscale_width(self, pred: Tensor, width: Tensor, labels: Labels | None) -> Tensor:
        """A width (stddev) in target space at ``pred`` -> physical units (first-order propagation)."""
        width = width.float()
        if self.scaler is not None:
            slopes = [self.scaler.inverse_slope(t, pred[..., i].float()) for i, t in enumerate(self.targets)]
            return width * torch.stack(slopes, dim=-1)
        if self.target_denominators is not None:
            return width * self._stack(labels, self.target_denominators, "target_denominators").abs()
        if self.norm_params is not None:
            return width * width.new_tensor(self.norm_params.stds)
        return width

    def scaled_targets(self, labels: Labels, pad_mask: Tensor | None) -> tuple[Tensor, Tensor]:
        """Network targets ``(..., R)`` (0 where invalid) and the validity mask.

        NaN targets and padded constituents are invalid. A finite target that scaling
        turns non-finite (log of a non-positive value, zero denominator) raises.
        """
        raw = self._stack(labels, self.targets, "targets")
        valid = ~torch.isnan(raw)
        if pad_mask is not None:
            valid &= ~pad_mask.unsqueeze(-1)
        scaled = self.scale(raw, labels)
        bad = valid & ~torch.isfinite(scaled)
        if bad.any():
            idx = bad.nonzero()[0]
            col = int(idx[-1])
            value = float(raw[tuple(idx)])
            msg = (
                f"Task '{self.name}': target '{self.targets[col]}' = {value} becomes non-finite after "
                f"scaling ({self._scaling_name()}). Fix the scaler offsets/denominators or the data."
            )
            raise ValueError(msg)
        return torch.where(valid, scaled, torch.zeros_like(scaled)), valid

    def _scaling_name(self) -> str:
        if self.scaler is not None:
            return repr(self.scaler)
        if self.target_denominators is not None:
            return f"target_denominators={self.target_denominators}"
        return f"norm_params={self.norm_params}"

    def reduce(self, per: Tensor, valid: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        """Scalar loss from per-entry values ``(..., R)``.

        Without ``sample_weight``: the mean over ``mean_over`` entries. With it: salt's
        ``sum(w * l) / n`` over all entries (``sample_count``).
        """
        if not self.sample_weight:
            if self.mean_over == "valid":
                return self.masked_mean(per, valid)
            return per.masked_fill(~valid, 0.0).sum() / sample_count(per, pad_mask)
        w = labels[self.input_name][self.sample_weight].to(per.dtype).unsqueeze(-1)
        return (per.masked_fill(~valid, 0.0) * w).sum() / sample_count(per, pad_mask)

    @staticmethod
    def masked_mean(per: Tensor, valid: Tensor) -> Tensor:
        """Mean of ``per`` over valid entries (0 when there are none)."""
        return per.masked_fill(~valid, 0.0).sum() / valid.sum().clamp(min=1)

    def check_per_entry(self, per: Tensor, target: Tensor) -> None:
        if per.shape != target.shape:
            msg = (
                f"Task '{self.name}': the loss {type(self.loss_fn).__name__} returned shape "
                f"{tuple(per.shape)}, expected per-entry values {tuple(target.shape)}."
            )
            raise ValueError(msg)
