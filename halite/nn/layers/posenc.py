"""Sinusoidal (Fourier) positional encodings of continuous coordinates."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def fourier_features(coords: Tensor, num_frequencies: int, max_scale: float = 100.0) -> Tensor:
    """``[sin(c w_k), cos(c w_k)]`` for each coordinate, with ``w_k`` geometric in ``[1, 1/max_scale]``.

    Parameters
    ----------
    coords
        ``(..., C)`` coordinates (normalised units).
    num_frequencies
        ``K`` frequencies per coordinate.

    Returns
    -------
    Tensor
        ``(..., 2 * C * K)``.
    """
    k = torch.arange(num_frequencies, device=coords.device, dtype=coords.dtype)
    omega = torch.exp(-math.log(max_scale) * k / max(num_frequencies - 1, 1))
    angles = coords.unsqueeze(-1) * omega  # (..., C, K)
    # per coordinate [sin, cos] then concatenated: flatten(-2) of (..., C, 2K) without a Reshape,
    # whose exported -1 size onnxruntime cannot infer for zero constituents
    parts = [angles[..., c, :] for c in range(coords.shape[-1])]
    return torch.cat([t for a in parts for t in (torch.sin(a), torch.cos(a))], dim=-1)


class FourierPositionalEncoding(nn.Module):
    """Fourier features of ``C`` coordinates projected to ``embed_dim`` (Vaswani et al.; Tancik et al. 2020)."""

    def __init__(
        self, num_coords: int, embed_dim: int, num_frequencies: int = 16, max_scale: float = 100.0
    ) -> None:
        super().__init__()
        self.num_frequencies = num_frequencies
        self.max_scale = max_scale
        self.proj = nn.Linear(2 * num_coords * num_frequencies, embed_dim)

    def forward(self, coords: Tensor) -> Tensor:
        """``(B, N, C)`` -> ``(B, N, embed_dim)``."""
        return self.proj(fourier_features(coords, self.num_frequencies, self.max_scale))
