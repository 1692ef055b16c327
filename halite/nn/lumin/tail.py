"""Tails: the output blocks (lumin 0.9.1's ``lumin.nn.models.blocks.tail``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import AbsBlock, LookupInit
from halite.nn.lumin.activations import hard_identity
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["AbsTail", "ClassRegMulti", "IdentTail"]

YRange = tuple[float, float] | Sequence[Sequence[float]] | np.ndarray
Rescale = float | Sequence[float] | np.ndarray


class AbsTail(AbsBlock):
    """Base of the tails: input and output widths, objective and output bias.

    Parameters
    ----------
    n_in
        Width of the input.
    n_out
        Number of outputs.
    objective
        ``classification``, ``multiclass`` or ``regression`` (lumin matches substrings: a name containing
        ``multiclass`` is multiclass, another containing ``class`` is classification, anything else
        regression).
    bias_init
        Initial bias of every output (None: the tail's default).
    lookup_init, freeze
        As for ``AbsBlock``.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        objective: str,
        bias_init: float | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        freeze: bool = False,
    ) -> None:
        super().__init__(lookup_init=lookup_init, freeze=freeze)
        self.n_in, self.n_out, self.objective, self.bias_init = n_in, n_out, objective, bias_init


class IdentTail(AbsTail):
    """A tail that passes its input through: ``(B, n_in) -> (B, n_in)``."""

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x``."""
        return x

    def get_out_size(self) -> int:
        """``n_in``."""
        return self.n_in


class ClassRegMulti(AbsTail):
    """Linear ``(B, n_in) -> (B, n_out)`` and the objective's output activation.

    * classification: sigmoid per output (binary or multi-label), Xavier init, bias 0;
    * multiclass: log-softmax over dim 1, Xavier init, bias ``1 / n_out``;
    * regression: linear, bias 0; with ``y_range`` a sigmoid rescaled to
      ``y_min + |y_max - y_min| * sigmoid(x)`` (per output for an ``(n_out, 2)`` range), with ``y_mean`` and
      ``y_std`` the linear output rescaled to ``y_std * x + y_mean``. A ``y_range`` also rescales the
      sigmoid of a classification objective, as in lumin.

    ``bias_init`` overrides the bias, except with ``y_mean``/``y_std`` where the bias is 0 (with a warning).
    ``y_min``, ``y_diff``, ``y_mean``, ``y_std`` are buffers outside the state dict (they follow
    ``.to(device)``; the state dict holds ``dense.weight`` and ``dense.bias`` only, as lumin's).

    lumin 0.9.1 fails on a 0-d array ``y_mean``/``y_std`` and on a range or rescaling whose size is neither
    1 nor ``n_out`` only when called; here ``y_mean``/``y_std`` are any float, sequence or array of 1 or
    ``n_out`` values and the sizes are checked when the tail is built (``ValueError``).

    Parameters
    ----------
    n_in
        Width of the input.
    n_out
        Number of outputs.
    objective
        ``classification``, ``multiclass`` or ``regression`` (see ``AbsTail``).
    y_range
        ``(min, max)`` for every output or one row per output ``(n_out, 2)``; not with ``y_mean``/``y_std``.
    bias_init
        Initial bias of every output.
    y_mean, y_std
        Rescaling of the linear output (both or neither; one value or one per output).
    lookup_init, freeze
        As for ``AbsBlock``.
    """

    y_min: Tensor | None
    y_diff: Tensor | None

    def __init__(
        self,
        n_in: int,
        n_out: int,
        objective: str,
        y_range: YRange | None = None,
        bias_init: float | None = None,
        y_mean: Rescale | None = None,
        y_std: Rescale | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        freeze: bool = False,
    ) -> None:
        super().__init__(n_in, n_out, objective, bias_init, lookup_init, freeze)
        if y_range is not None and (y_mean is not None or y_std is not None):
            msg = (
                f"ClassRegMulti: y_range={y_range} (sigmoid output) and y_mean={y_mean} / y_std={y_std} (linear "
                "output) are both set; set only one rescaling."
            )
            raise ValueError(msg)
        if (y_mean is None) != (y_std is None):
            msg = (
                f"ClassRegMulti: y_mean={y_mean} and y_std={y_std}: only one is set; set both (the output is "
                "y_std * x + y_mean) or neither."
            )
            raise ValueError(msg)
        self.rescale = False
        self.y_range: np.ndarray | None = None
        self.register_buffer("y_min", None, persistent=False)
        self.register_buffer("y_diff", None, persistent=False)
        self.register_buffer("y_mean", None, persistent=False)
        self.register_buffer("y_std", None, persistent=False)
        if y_mean is not None and y_std is not None:
            if bias_init is not None:
                warnings.warn(
                    f"ClassRegMulti: bias_init={bias_init} is ignored with y_mean and y_std (the bias starts at 0 "
                    "so that the rescaling holds).",
                    stacklevel=2,
                )
                self.bias_init = None
            self.y_mean, self.y_std = self._per_output(y_mean, "y_mean"), self._per_output(y_std, "y_std")
            self.rescale = True
        if y_range is not None:
            yr = np.asarray(y_range, dtype=np.float64)
            if yr.ndim not in (1, 2) or yr.shape[-1] != 2 or (yr.ndim == 2 and yr.shape[0] not in (1, n_out)):
                msg = (
                    f"ClassRegMulti: y_range of shape {yr.shape} for n_out={n_out}; give (min, max) or one "
                    f"(min, max) row per output, shape ({n_out}, 2)."
                )
                raise ValueError(msg)
            self.y_range = yr
            self.y_min = torch.as_tensor(np.min(yr, axis=-1), dtype=torch.float32)
            self.y_diff = torch.as_tensor(np.abs(yr[..., 1] - yr[..., 0]).ravel(), dtype=torch.float32)
        self._build_layers()
        if self.freeze:
            self.freeze_layers()

    def _per_output(self, value: Rescale, name: str) -> Tensor:
        t = torch.as_tensor(np.asarray(value, dtype=np.float32)).reshape(-1)
        if t.numel() not in (1, self.n_out):
            msg = f"ClassRegMulti: {name} has {t.numel()} values for n_out={self.n_out}; give 1 or {self.n_out}."
            raise ValueError(msg)
        return t

    def __getitem__(self, key: int) -> Any:
        """``0``: the Linear layer, ``1``: the output activation."""
        if key == 0:
            return self.dense
        if key == 1:
            return self.act
        msg = f"ClassRegMulti: index {key} out of range; 0 is the Linear layer, 1 the output activation."
        raise IndexError(msg)

    def _build_layers(self) -> None:
        self.dense = nn.Linear(self.n_in, self.n_out)
        self.act: Any
        if "class" in self.objective:
            if "multiclass" in self.objective:
                self.act, init_act, bias = nn.LogSoftmax(1), "softmax", 1 / self.n_out
            else:
                self.act, init_act, bias = nn.Sigmoid(), "sigmoid", 0.0
        elif self.y_range is None:
            self.act, init_act, bias = hard_identity, "linear", 0.0
        else:
            self.act, init_act, bias = nn.Sigmoid(), "sigmoid", 0.0
        if self.bias_init is not None:
            bias = self.bias_init
        self.lookup_init(init_act, self.n_in, self.n_out)(self.dense.weight)
        nn.init.constant_(self.dense.bias, val=bias)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, n_in) -> (B, n_out)``."""
        x = self.act(self.dense(x))
        if self.y_diff is not None and self.y_min is not None:
            return self.y_diff * x + self.y_min
        if self.rescale and self.y_std is not None and self.y_mean is not None:
            return self.y_std * x + self.y_mean
        return x

    def get_out_size(self) -> int:
        """``n_out``."""
        return self.n_out
