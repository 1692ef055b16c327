"""Gated linear unit feed-forward (GLU, Shazeer, arXiv:2002.05202), as salt's ``dense_kwargs.gated``."""

from __future__ import annotations

from torch import Tensor, nn

from halite.nn.layers.activations import Activation, make_activation


class GLU(nn.Module):
    """``out_proj(drop(act(x W_a) * (x W_b)))``: ``(..., D)`` -> ``(..., D)``.

    One ``in_proj`` ``Linear(D, 2 H)`` holds both halves (``W_a`` first), as salt's gated ``GLU``.

    Parameters
    ----------
    embed_dim
        Width ``D`` of the input and the output.
    hidden_dim
        Width ``H`` of each half.
    activation
        Activation of the gate half.
    dropout
        Dropout after the gating.
    """

    def __init__(
        self, embed_dim: int, hidden_dim: int, activation: Activation = "SiLU", dropout: float = 0.0
    ) -> None:
        super().__init__()
        if embed_dim < 1 or hidden_dim < 1:
            msg = f"GLU needs positive widths, got embed_dim={embed_dim}, hidden_dim={hidden_dim}."
            raise ValueError(msg)
        self.in_proj = nn.Linear(embed_dim, 2 * hidden_dim)
        self.activation = make_activation(activation)
        self.drop = nn.Dropout(dropout)
        self.out_proj = nn.Linear(hidden_dim, embed_dim)

    def forward(self, x: Tensor) -> Tensor:
        """``x`` ``(..., D)`` -> ``(..., D)``."""
        gate, value = self.in_proj(x).chunk(2, dim=-1)
        return self.out_proj(self.drop(self.activation(gate) * value))
