"""Input normalisation inside the model, so exported graphs take raw inputs."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn


class InputNorm(nn.Module):
    """``(x - mean) / std`` per variable, with mean and std stored as buffers.

    Parameters
    ----------
    variables
        Variable names in input order.
    norm
        ``{var: {"mean": m, "std": s}}`` (one stream of a salt norm dict).
    persistent
        Keep mean and std in the state dict (``False``: rebuilt from the norm dict only, for models
        whose state dict is another framework's layout, as PET2's is OmniLearned's).
    """

    mean: Tensor
    inv_std: Tensor

    def __init__(
        self, variables: list[str], norm: Mapping[str, Mapping[str, float]], persistent: bool = True
    ) -> None:
        super().__init__()
        self.variables = list(variables)
        mean = torch.tensor([float(norm[v]["mean"]) for v in variables], dtype=torch.float32)
        std = torch.tensor([float(norm[v]["std"]) for v in variables], dtype=torch.float32)
        self.register_buffer("mean", mean, persistent=persistent)
        self.register_buffer("inv_std", 1.0 / std, persistent=persistent)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` ``(..., F)``."""
        return (x - self.mean) * self.inv_std
