"""Dense (MLP) networks and their YAML configuration."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

Activation = Literal["ReLU", "SiLU", "GELU", "Tanh", "LeakyReLU", "ELU", "SELU", "Sigmoid", "Identity"]


def make_activation(name: str) -> nn.Module:
    """Return the torch activation module called ``name`` (see ``Activation``)."""
    choices = Activation.__args__  # type: ignore[attr-defined]
    if name not in choices:
        msg = f"Unknown activation '{name}'. Choose one of {list(choices)}."
        raise ValueError(msg)
    return getattr(nn, name)()


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
    """

    hidden_layers: list[int] = field(default_factory=list)
    output_size: int | None = None
    activation: Activation = "ReLU"
    dropout: float = 0.0
    norm_layer: Literal["LayerNorm"] | None = None


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
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.context_size = context_size
        self.out_features = output_size
        sizes = [input_size + context_size, *(hidden_layers or [])]
        layers: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers.append(nn.Linear(n_in, n_out))
            if norm_layer is not None:
                layers.append(nn.LayerNorm(n_out))
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-1], output_size))
        if final_activation is not None:
            layers.append(make_activation(final_activation))
        self.net = nn.Sequential(*layers)

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
