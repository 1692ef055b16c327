"""CondOnlyMLP: a baseline that sees only the global (event-level) features."""

from __future__ import annotations

from torch import Tensor, nn

from halite.nn.layers.dense import mlp
from halite.nn.point.base import PointBackbone
from halite.typing import Masks, Tensors


class CondOnlyMLP(PointBackbone):
    """Residual MLP on the global features; constituent tokens are ignored.

    ``h0 = InputProj(c)``, ``h_{l+1} = h_l + f_l(LN(h_l))`` with ``f_l`` a two-layer MLP;
    the output is ``LN(h_L)`` (task heads then apply ``W2 act(W1 .)``).

    Parameters
    ----------
    hidden_dim
        Width of the residual stream.
    num_layers
        Residual blocks.
    mlp_ratio
        Hidden width of each block / ``hidden_dim``.
    dropout
        Dropout inside the blocks.
    """

    def __init__(
        self, hidden_dim: int = 256, num_layers: int = 4, mlp_ratio: float = 2.0, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.out_features = hidden_dim
        inner = int(hidden_dim * mlp_ratio)
        self.norms = nn.ModuleList([nn.LayerNorm(hidden_dim) for _ in range(num_layers)])
        self.mlps = nn.ModuleList(
            [
                mlp([hidden_dim, inner, hidden_dim], "GELU", dropout=dropout, norm_at=None, fixed_slots=True)
                for _ in range(num_layers)
            ]
        )
        self.norm = nn.LayerNorm(hidden_dim)

    def build_points(self, variables: dict[str, list[str]], global_object: str) -> None:
        n = len(variables.get(global_object, []))
        if n == 0:
            msg = f"CondOnlyMLP needs global features: data.variables.{global_object} is empty or missing."
            raise ValueError(msg)
        self.global_object = global_object
        self.input_streams = [global_object]
        self.input_proj = nn.Linear(n, self.hidden_dim)

    def encode(self, normed: Tensors, raw: Tensors, pad_masks: Masks) -> Tensor:
        h = self.input_proj(normed[self.global_object])
        for norm, block in zip(self.norms, self.mlps):
            h = h + block(norm(h))
        return self.norm(h)
