"""IdentityEncoder: the set encoder of salt's deep-sets configs passes embeddings through."""

from __future__ import annotations

import pytest
import torch

from halite.nn import IdentityEncoder
from halite.nn.layers.packing import Packing


def test_identity_padded_and_packed() -> None:
    enc = IdentityEncoder(4)
    x = torch.randn(2, 3, 4)
    mask = torch.tensor([[False, False, True], [False, True, True]])
    assert enc(x, mask) is x
    packing = Packing.from_mask(mask)
    packed = packing.pack(x)
    assert torch.equal(enc.forward_packed(packed, packing), packed)
    assert enc.out_features == enc.embed_dim == 4 and enc.supports_packing and enc.packed


def test_identity_needs_a_width() -> None:
    with pytest.raises(ValueError, match="embed_dim >= 1"):
        IdentityEncoder(0)
