"""Activations by name, as lumin's ``lumin.nn.models.layers.activations`` (plus its ``Mish``)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["Mish", "Swish", "hard_identity", "lookup_act"]

ACT_NAMES = ("relu", "prelu", "selu", "sigmoid", "logsoftmax", "softmax", "linear", "swish", "mish")


def hard_identity(x: Any) -> Any:
    """Return ``x`` unchanged (lumin's ``linear`` activation: a function, not a module)."""
    return x


class Swish(nn.Module):
    """Swish ``x * sigmoid(x)`` (arXiv:1710.05941), not trainable.

    ``inplace`` is accepted and, as in lumin 0.9.1, has no effect.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = False

    def forward(self, x: Tensor) -> Tensor:
        """``(*) -> (*)``."""
        return x * torch.sigmoid(x)


class Mish(nn.Module):
    """Mish ``x * tanh(softplus(x))`` (arXiv:1908.08681)."""

    def forward(self, x: Tensor) -> Tensor:
        """``(*) -> (*)``."""
        return x * torch.tanh(F.softplus(x))


def lookup_act(act: str) -> Any:
    """A new activation layer for the name ``act``.

    relu, prelu, selu, sigmoid, logsoftmax (over dim 1), softmax (over dim 1), linear (the identity
    function), any name containing ``swish``, mish.
    """
    layers: dict[str, Any] = {
        "relu": nn.ReLU,
        "prelu": nn.PReLU,
        "selu": nn.SELU,
        "sigmoid": nn.Sigmoid,
        "logsoftmax": lambda: nn.LogSoftmax(1),
        "softmax": lambda: nn.Softmax(1),
        "mish": Mish,
    }
    if act in layers:
        return layers[act]()
    if act == "linear":
        return hard_identity
    if "swish" in act:
        return Swish()
    msg = f"lookup_act: unknown activation '{act}'; known: {list(ACT_NAMES)}."
    raise ValueError(msg)
