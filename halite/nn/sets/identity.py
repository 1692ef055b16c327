"""The no-op set encoder: a deep-sets model (init nets -> pooling, as salt's DIPS) in halite's Model."""

from __future__ import annotations

from torch import Tensor

from halite.nn.layers.packing import Packing
from halite.nn.sets.base import SetEncoder


class IdentityEncoder(SetEncoder):
    """Pass the init-net embeddings through unchanged: ``(B, N, D)`` -> ``(B, N, D)``.

    A salt ``SaltModel`` without an ``encoder`` (DIPS, the regression examples) pools the init-net
    output directly; this encoder is that model's place-holder-free equivalent.

    Parameters
    ----------
    embed_dim
        Width ``D`` of the init nets' output (also the output width).
    """

    supports_packing = True

    def __init__(self, embed_dim: int) -> None:
        super().__init__()
        if embed_dim < 1:
            msg = f"IdentityEncoder needs embed_dim >= 1 (the init nets' output width), got {embed_dim}."
            raise ValueError(msg)
        self.embed_dim = embed_dim
        self.out_features = embed_dim
        self.packed = True

    def forward(self, x: Tensor, pad_mask: Tensor | None = None) -> Tensor:
        """``x`` ``(B, N, D)`` (pad mask ``(B, N)`` unused: padded slots stay as they are) -> ``x``."""
        return x

    def forward_packed(self, x: Tensor, packing: Packing) -> Tensor:
        """Packed valid constituents ``(T, D)`` -> the same ``(T, D)``."""
        return x
