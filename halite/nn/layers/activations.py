"""The one activation factory (lumin and torch names) and activation-matched weight initialisation."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from torch import Tensor, nn

#: activation names accepted everywhere (``make_activation``): torch class names and lumin's lower-case
#: names, case-insensitive; ``swish`` is SiLU, ``linear`` and ``Identity`` are the identity
Activation = Literal[
    "ReLU",
    "PReLU",
    "SELU",
    "SiLU",
    "GELU",
    "ELU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "Softplus",
    "Mish",
    "Identity",
    "relu",
    "prelu",
    "selu",
    "swish",
    "silu",
    "gelu",
    "elu",
    "leakyrelu",
    "tanh",
    "sigmoid",
    "softplus",
    "mish",
    "linear",
    "identity",
]

_ACTS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "prelu": nn.PReLU,
    "selu": nn.SELU,
    "swish": nn.SiLU,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "leakyrelu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "mish": nn.Mish,
    "linear": nn.Identity,
    "identity": nn.Identity,
}

#: activations initialised with He (Kaiming) normal weights
_HE = {"relu", "prelu", "swish", "silu", "gelu", "elu", "leakyrelu"}


def _key(name: str) -> str:
    key = name.lower()
    if key not in _ACTS:
        msg = (
            f"Unknown activation '{name}'. Choose one of {sorted(_ACTS)} "
            f"(case-insensitive; torch class names such as 'SiLU' work too)."
        )
        raise ValueError(msg)
    return key


def make_activation(name: str) -> nn.Module:
    """A fresh activation module called ``name`` (see ``Activation``; case-insensitive).

    ``swish`` and ``SiLU`` give ``nn.SiLU``; ``linear`` and ``Identity`` give ``nn.Identity``.
    """
    return _ACTS[_key(name)]()


def lookup_init(act: str, fan_in: int, fan_out: int) -> Callable[[Tensor], None]:
    """Weight initialiser suiting ``act``.

    He normal for the ReLU family (relu, prelu, swish/silu, gelu, elu, leakyrelu; He et al.,
    arXiv:1502.01852), LeCun normal ``N(0, 1/fan_in)`` for selu (Klambauer et al.,
    arXiv:1706.02515), Glorot normal otherwise (Glorot & Bengio 2010).

    Parameters
    ----------
    act
        Activation following the layer.
    fan_in, fan_out
        Layer input and output widths.
    """
    key = _key(act)
    if key in _HE:

        def he(w: Tensor) -> None:
            nn.init.kaiming_normal_(w, nonlinearity="relu")

        return he
    if key == "selu":

        def lecun(w: Tensor) -> None:
            nn.init.normal_(w, std=1.0 / math.sqrt(max(fan_in, 1)))

        return lecun

    def glorot(w: Tensor) -> None:
        nn.init.normal_(w, std=math.sqrt(2.0 / max(fan_in + fan_out, 1)))

    return glorot


def init_linear(layer: nn.Linear, act: str) -> nn.Linear:
    """Initialise ``layer`` for ``act`` (zero bias) and return it."""
    lookup_init(act, layer.in_features, layer.out_features)(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer
