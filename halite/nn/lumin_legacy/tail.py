"""Tail: the output layer mapping a body's features to the task output (lumin's ``ClassRegMulti``)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from halite.nn.layers.activations import init_linear
from halite.nn.lumin_legacy.base import BlockBase

Objective = Literal["classification", "multiclass", "regression"]


class ClassRegMulti(BlockBase):
    """``Linear`` + the output activation of the objective.

    * ``classification``: sigmoid per output (binary / multi-label probabilities);
    * ``multiclass``: log-softmax (log-probabilities; ``exp`` gives the softmax);
    * ``regression``: linear, rescaled as ``y * y_std + y_mean`` when given, or a
      sigmoid rescaled to ``[y_range[0], y_range[1]]``.

    Parameters
    ----------
    n_out
        Number of outputs.
    n_in
        Input width; left out in YAML (the owner builds the tail).
    objective
        What the outputs are.
    y_range
        ``(min, max)`` of a bounded regression target.
    bias_init
        Initial bias of every output (e.g. the target mean).
    y_mean, y_std
        Rescaling of linear regression outputs (scalars or one per output).
    """

    y_mean: Tensor
    y_std: Tensor

    def __init__(
        self,
        n_out: int,
        n_in: int | None = None,
        objective: Objective = "classification",
        y_range: tuple[float, float] | None = None,
        bias_init: float | None = None,
        y_mean: float | list[float] | None = None,
        y_std: float | list[float] | None = None,
        freeze: bool = False,
    ) -> None:
        super().__init__(freeze)
        if objective not in ("classification", "multiclass", "regression"):
            msg = f"ClassRegMulti objective '{objective}' unknown; use classification, multiclass or regression."
            raise ValueError(msg)
        if y_range is not None and (y_mean is not None or y_std is not None):
            msg = "ClassRegMulti: y_range cannot be combined with y_mean/y_std; use one rescaling."
            raise ValueError(msg)
        if (y_range is not None or y_mean is not None or y_std is not None) and objective != "regression":
            msg = f"ClassRegMulti: y_range / y_mean / y_std only apply to regression, not '{objective}'."
            raise ValueError(msg)
        if y_range is not None and not float(y_range[0]) < float(y_range[1]):
            msg = f"ClassRegMulti: y_range must be (min, max) with min < max, got {y_range}."
            raise ValueError(msg)
        if objective == "multiclass" and n_out < 2:
            msg = (
                f"ClassRegMulti: multiclass needs n_out >= 2, got {n_out}; use classification for one output."
            )
            raise ValueError(msg)
        self.n_out, self.objective, self.bias_init = n_out, objective, bias_init
        self.y_range = (float(y_range[0]), float(y_range[1])) if y_range is not None else None
        mean = torch.zeros(n_out) + torch.as_tensor(
            y_mean if y_mean is not None else 0.0, dtype=torch.float32
        )
        std = torch.ones(n_out) * torch.as_tensor(y_std if y_std is not None else 1.0, dtype=torch.float32)
        self.register_buffer("y_mean", mean)
        self.register_buffer("y_std", std)
        self.dense: nn.Linear | None = None
        if n_in is not None:
            self.build(n_in)

    def build(self, n_in: int) -> None:
        """Create the output layer for ``n_in`` inputs."""
        if self.built:
            assert self.dense is not None
            if n_in != self.dense.in_features:
                msg = f"ClassRegMulti was built for n_in={self.dense.in_features} but gets {n_in}; drop n_in."
                raise ValueError(msg)
            return
        act = "sigmoid" if self.objective == "classification" or self.y_range else "linear"
        self.dense = init_linear(nn.Linear(n_in, self.n_out), act)
        if self.bias_init is not None:
            nn.init.constant_(self.dense.bias, float(self.bias_init))
        self._finish_build(self.n_out)

    def pre_activation(self, x: Tensor) -> Tensor:
        """Linear output ``(..., n_out)`` before the objective's activation."""
        if self.dense is None:
            msg = "ClassRegMulti was used before it was built."
            raise RuntimeError(msg)
        return self.dense(x)

    def forward(self, x: Tensor) -> Tensor:
        """``(..., n_in)`` -> ``(..., n_out)`` (see the class docstring)."""
        z = self.pre_activation(x)
        if self.objective == "classification":
            return torch.sigmoid(z)
        if self.objective == "multiclass":
            return torch.log_softmax(z, dim=-1)
        if self.y_range is not None:
            lo, hi = self.y_range
            return torch.sigmoid(z) * (hi - lo) + lo
        return z * self.y_std + self.y_mean
