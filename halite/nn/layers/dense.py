"""Dense (MLP) networks: the one MLP builder, the ``Dense`` module and its YAML configuration."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import torch
from torch import Tensor, nn

from halite.nn.layers.activations import Activation, init_linear, make_activation

__all__ = ["Activation", "Dense", "DenseConfig", "NormAt", "make_activation", "mlp"]

#: where a layer's normalisation sits: on its input (before the ``Linear``), after the ``Linear``,
#: or after the activation
NormAt = Literal["input", "linear", "activation"]

_NORMS = {"LayerNorm": nn.LayerNorm, "BatchNorm1d": nn.BatchNorm1d}


def mlp(
    sizes: Sequence[int],
    activation: str = "ReLU",
    *,
    final_activation: str | None = None,
    act_last: bool = False,
    norm: Literal["LayerNorm", "BatchNorm1d"] | None = None,
    norm_at: NormAt | None = "linear",
    dropout: float = 0.0,
    fixed_slots: bool = False,
    init: bool = False,
    alpha_dropout: bool = False,
    grouped: bool = False,
) -> nn.Sequential:
    """The one MLP builder: linear layers ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    Every hidden layer is ``[norm] Linear [norm] activation [norm] [Dropout]`` with the norm
    where ``norm_at`` says; the last layer is a plain ``Linear`` (then ``final_activation``),
    or, with ``act_last``, built like the hidden ones. Works on any leading shape ``(..., sizes[0])``
    (``BatchNorm1d`` on ``(B, F)`` only).

    Parameters
    ----------
    sizes
        Widths, input first; at least two.
    activation
        Activation after each layer (``make_activation`` name); ``linear`` adds no module,
        ``Identity`` an ``nn.Identity``.
    final_activation
        Activation after a plain last layer (ignored with ``act_last``).
    act_last
        Build the last layer like the hidden ones (norm, activation, dropout).
    norm, norm_at
        Normalisation of each layer and where it sits (``norm_at=None``: no norm, no norm slot).
    dropout
        Dropout probability after each activation.
    fixed_slots
        Keep a slot for the norm (``nn.Identity`` when none) and the dropout (even ``p = 0``) so
        that the ``Sequential`` indices (state-dict keys) do not depend on the options.
    init
        Initialise each ``Linear`` for its activation (``init_linear``: He / LeCun / Glorot, zero bias).
    alpha_dropout
        ``nn.AlphaDropout`` after ``selu`` (keeps its self-normalisation).
    grouped
        One ``nn.Sequential`` per layer (keys ``i.j``) instead of one flat ``Sequential``.
    """
    if len(sizes) < 2:
        msg = f"An MLP needs at least an input and an output width, got sizes={list(sizes)}."
        raise ValueError(msg)
    if norm is not None and (norm not in _NORMS or norm_at is None):
        msg = f"MLP norm '{norm}' at {norm_at!r}: choose a norm of {sorted(_NORMS)} and a place {list(get_args(NormAt))}."
        raise ValueError(msg)
    pairs = list(itertools.pairwise(sizes))
    groups: list[list[nn.Module]] = []
    for i, (n_in, n_out) in enumerate(pairs):
        if i == len(pairs) - 1 and not act_last:
            last: list[nn.Module] = [nn.Linear(n_in, n_out)]
            if final_activation is not None:
                last.append(make_activation(final_activation))
            groups.append(last)
            continue
        groups.append(
            _layer(n_in, n_out, activation, norm, norm_at, dropout, fixed_slots, init, alpha_dropout)
        )
    if grouped:
        return nn.Sequential(*[nn.Sequential(*g) for g in groups])
    return nn.Sequential(*[m for g in groups for m in g])


def _layer(
    n_in: int,
    n_out: int,
    act: str,
    norm: str | None,
    norm_at: NormAt | None,
    dropout: float,
    fixed_slots: bool,
    init: bool,
    alpha_dropout: bool,
) -> list[nn.Module]:
    """One hidden layer of ``mlp``."""

    def norm_slot(width: int, at: NormAt) -> list[nn.Module]:
        if norm_at != at:
            return []
        if norm is None:
            return [nn.Identity()] if fixed_slots else []
        return [_NORMS[norm](width)]

    linear = nn.Linear(n_in, n_out)
    layers: list[nn.Module] = [*norm_slot(n_in, "input"), init_linear(linear, act) if init else linear]
    layers += norm_slot(n_out, "linear")
    if fixed_slots or act.lower() != "linear":  # lumin's "linear": no module; "Identity": nn.Identity
        layers.append(make_activation(act))
    layers += norm_slot(n_out, "activation")
    if dropout > 0 or fixed_slots:
        selu = alpha_dropout and act.lower() == "selu"
        layers.append(nn.AlphaDropout(dropout) if selu else nn.Dropout(dropout))
    return layers


@dataclass
class DenseConfig:
    """Options of a dense network, as written in YAML.

    Parameters
    ----------
    hidden_layers
        Widths of the hidden layers.
    output_size
        Output width; ``None`` lets the owner decide (e.g. the number of classes).
    activation
        Activation after every hidden layer.
    dropout
        Dropout probability after every hidden activation.
    norm_layer
        Optional normalisation after every hidden layer.
    mup, muP
        salt's muP flag (``muP`` before salt 0.11.1): this network is scaled by the model's muP
        set-up (``model.mup`` / ``model.mup_config``), which is an error without one.
    final_activation
        Optional activation after the output layer (salt's ``final_activation``).
    """

    hidden_layers: list[int] = field(default_factory=list)
    output_size: int | None = None
    activation: Activation = "ReLU"
    dropout: float = 0.0
    norm_layer: Literal["LayerNorm"] | None = None
    mup: bool = False
    muP: bool = False
    final_activation: Activation | None = None


class Dense(nn.Module):
    """A stack of linear layers with activations.

    Parameters
    ----------
    input_size
        Width of the last input axis.
    output_size
        Width of the output.
    hidden_layers
        Hidden widths.
    activation
        Activation after each hidden layer.
    final_activation
        Optional activation after the output layer.
    dropout
        Dropout after each hidden activation.
    norm_layer
        Optional ``LayerNorm`` after each hidden layer.
    context_size
        Width of a context vector concatenated to the input (0 = none).
    norm_at
        Where ``norm_layer`` sits in each hidden layer (see ``mlp``).
    fixed_slots
        Keep the norm and dropout slots even when unused (stable ``net`` indices, see ``mlp``).
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        hidden_layers: list[int] | None = None,
        activation: Activation = "ReLU",
        final_activation: Activation | None = None,
        dropout: float = 0.0,
        norm_layer: Literal["LayerNorm"] | None = None,
        context_size: int = 0,
        norm_at: NormAt = "linear",
        fixed_slots: bool = False,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.context_size = context_size
        self.out_features = output_size
        self.net = mlp(
            [input_size + context_size, *(hidden_layers or []), output_size],
            activation,
            final_activation=final_activation,
            norm=norm_layer,
            norm_at=norm_at,
            dropout=dropout,
            fixed_slots=fixed_slots,
        )

    @classmethod
    def from_config(
        cls, config: DenseConfig, input_size: int, output_size: int | None = None, context_size: int = 0
    ) -> Dense:
        """Build from a ``DenseConfig``; ``output_size`` fills in a missing ``config.output_size``."""
        out = config.output_size if config.output_size is not None else output_size
        if out is None:
            msg = "Dense network needs an output size: set `output_size` in its dense_config."
            raise ValueError(msg)
        return cls(
            input_size=input_size,
            output_size=out,
            hidden_layers=list(config.hidden_layers),
            activation=config.activation,
            final_activation=config.final_activation,
            dropout=config.dropout,
            norm_layer=config.norm_layer,
            context_size=context_size,
        )

    def forward(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        """Apply the network.

        Parameters
        ----------
        x
            ``(..., input_size)``.
        context
            ``(B, context_size)`` broadcast over the middle axes of ``x``, or already
            shaped like ``x`` except for the last axis.
        """
        if self.context_size:
            if context is None:
                msg = "This dense network was built with a context input but got none."
                raise ValueError(msg)
            if context.dim() < x.dim():
                shape = (*x.shape[:-1], context.shape[-1])
                context = context.view(context.shape[0], *([1] * (x.dim() - 2)), -1).expand(shape)
            x = torch.cat([x, context], dim=-1)
        return self.net(x)
