"""Weight initialisations by activation name, as lumin's ``lumin.nn.models.initialisations``.

``lookup_init(act, fan_in, fan_out)`` returns a function that initialises a weight tensor in place;
every lumin block takes such a lookup as its ``lookup_init`` argument.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from torch import Tensor, nn

__all__ = ["lookup_normal_init", "lookup_uniform_init"]

_KAIMING = ("relu", "prelu", "mish")
_XAVIER = ("sigmoid", "logsoftmax", "softmax", "linear")


def _unknown(act: str, lookup: str) -> ValueError:
    names = [*_KAIMING, "selu", *_XAVIER, "swish"]
    return ValueError(f"{lookup}: activation '{act}' has no initialisation; known: {names}.")


def lookup_normal_init(
    act: str, fan_in: int | None = None, fan_out: int | None = None
) -> Callable[[Tensor], Any]:
    """Normal-distribution initialisation for layers followed by ``act``.

    Kaiming (fan-in, relu gain) for relu, prelu, swish, mish; ``N(0, 1/fan_in)`` for selu;
    Xavier for sigmoid, softmax, logsoftmax and linear outputs.

    Parameters
    ----------
    act
        Activation name (any name containing ``swish`` counts as swish).
    fan_in, fan_out
        Number of inputs and outputs of the layer (``fan_in`` is needed for selu).
    """
    if act in _KAIMING or "swish" in act:
        return partial(nn.init.kaiming_normal_, nonlinearity="relu", a=0)
    if act == "selu":
        return partial(nn.init.normal_, std=1 / math.sqrt(_need_fan_in(fan_in, act)))
    if act in _XAVIER:
        return nn.init.xavier_normal_
    raise _unknown(act, "lookup_normal_init")


def lookup_uniform_init(
    act: str, fan_in: int | None = None, fan_out: int | None = None
) -> Callable[[Tensor], Any]:
    """Uniform-distribution initialisation for layers followed by ``act`` (as ``lookup_normal_init``).

    selu draws from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.
    """
    if act in _KAIMING or "swish" in act:
        return partial(nn.init.kaiming_uniform_, nonlinearity="relu", a=0)
    if act == "selu":
        bound = 1 / math.sqrt(_need_fan_in(fan_in, act))
        return partial(nn.init.uniform_, a=-bound, b=bound)
    if act in _XAVIER:
        return nn.init.xavier_uniform_
    raise _unknown(act, "lookup_uniform_init")


def _need_fan_in(fan_in: int | None, act: str) -> int:
    if not fan_in:
        msg = f"The '{act}' initialisation needs fan_in (the number of inputs of the layer)."
        raise ValueError(msg)
    return int(fan_in)
