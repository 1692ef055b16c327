"""PET2's local block: features of each particle's ``K`` nearest neighbours, mixed by small transformers.

For particle ``i`` and each of its ``K`` nearest neighbours ``j`` (squared Euclidean distance in the
first ``num_coord`` features): ``x_i - x_j`` (and with ``local_int`` the pair's ``ln m², ln ΔR, ln kT``)
go through an MLP; ``num_transformers`` attention blocks mix the ``K`` neighbour tokens, and their
masked mean is the local feature of ``i``. Parameter names are OmniLearned 0.2.0's
``LocalEmbeddingBlock``'s.

Padding is never a neighbour that counts: padded particles are moved 999 away in every coordinate,
``K + 1`` padded candidates are appended (so a jet with fewer than ``K + 1`` slots has ``K``
neighbours as well), and every candidate that is padding is masked out of the MLP output, the
attention and the mean, with its features zeroed. A jet's output does not depend on its padded slots.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from halite.nn.point.pet_blocks import AttBlock, pair_mask
from halite.nn.point.pet_layers import MLP, InteractionType, NormName, pair_features

SHIFT = 999.0  # distance added to every coordinate of a padded particle


def pairwise_distance(points: Tensor) -> Tensor:
    """Squared distances ``(B, N, N)`` as ``|a|² - 2 a·b + |b|²`` (OmniLearned's form, not ``cdist``)."""
    r = points.square().sum(-1, keepdim=True)
    return r - 2 * points @ points.transpose(1, 2) + r.transpose(1, 2)


class LocalEmbeddingBlock(nn.Module):
    """Local (kNN) features ``(B, N, out_features)`` of every particle.

    Parameters
    ----------
    in_features, hidden_features, out_features
        Particle features, MLP hidden and output widths.
    act_layer, norm_layer
        Activation and norm names.
    mlp_drop, attn_drop
        Dropout in the MLPs and of the attention weights.
    K
        Neighbours per particle.
    num_heads
        Heads of the neighbour transformers.
    local_int
        Add the pair's physics features (``int_type``) to the neighbour features.
    int_type
        Pairwise features (``lhc``).
    num_transformers
        Attention blocks over the neighbours.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        out_features: int,
        act_layer: str,
        norm_layer: NormName,
        mlp_drop: float = 0.0,
        attn_drop: float = 0.0,
        K: int = 10,
        num_heads: int = 4,
        local_int: bool = False,
        int_type: InteractionType = "lhc",
        num_transformers: int = 2,
    ) -> None:
        super().__init__()
        self.K, self.local_int, self.int_type = K, local_int, int_type
        k_features = in_features + 3 if local_int else in_features
        self.mlp = MLP(k_features, hidden_features, out_features, act_layer, mlp_drop, norm_layer)
        self.in_blocks = nn.ModuleList(
            [
                AttBlock(out_features, num_heads, 2, attn_drop, mlp_drop, act_layer, norm_layer)
                for _ in range(num_transformers)
            ]
        )

    def neighbours(self, points: Tensor) -> Tensor:
        """Indices ``(B, N, K)`` into ``N + K + 1`` candidates per jet (the ``K + 1`` last: padding)."""
        k = self.K
        dist = pairwise_distance(points)
        far = F.pad(dist, (0, k + 1), value=torch.finfo(dist.dtype).max)  # (B, N, N + K + 1)
        return torch.topk(-far, k + 1, dim=-1).indices[..., 1:]  # self first: dropped

    def forward(self, points: Tensor, features: Tensor, mask: Tensor) -> Tensor:
        """Coordinates ``(B, N, C)`` (padding moved away), features ``(B, N, F)``, float mask ``(B, N, 1)``.

        Shape-generic (no Python ints of ``N`` in reshapes), so an exported graph serves every ``N >= 0``.
        """
        idx = self.neighbours(points).unsqueeze(-1)  # (B, N, K, 1)
        n = features.shape[1]

        def gather(t: Tensor) -> Tensor:  # (B, N + K + 1, C) -> (B, N, K, C)
            return torch.gather(t.unsqueeze(1).expand(-1, n, -1, -1), 2, idx.expand(-1, -1, -1, t.shape[-1]))

        neigh = gather(F.pad(features, (0, 0, 0, self.K + 1)))
        neigh_mask = gather(F.pad(mask, (0, 0, 0, self.K + 1)))
        centre = features.unsqueeze(2).expand_as(neigh)
        local = centre - neigh
        if self.local_int:
            local = (
                torch.cat([local, pair_features(self.int_type, centre, neigh, neigh_mask)], -1) * neigh_mask
            )
        attn_mask = pair_mask(neigh_mask[..., 0])  # (B, N, 1, K, K)
        x = self.mlp(local) * neigh_mask
        for block in self.in_blocks:
            x = block(x, neigh_mask, attn_mask)
        return x.sum(2) / (1e-9 + neigh_mask).sum(2) * mask
