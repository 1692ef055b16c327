"""Common interface of whole-event point-cloud backbones (ViT, PET2, ParT, CondOnlyMLP)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from halite.typing import Masks, Tensors


@dataclass
class Kinematics:
    """Which variables of the constituent stream hold the four-momentum.

    Parameters
    ----------
    pt, eta, phi, energy
        Variable names (raw units) used for pairwise features and neighbourhoods.
    angular_scale
        ``eta``/``phi`` are divided by this (e.g. detector coordinates in cm -> O(1)).
    """

    pt: str = "pt"
    eta: str = "eta"
    phi: str = "phi"
    energy: str = "energy"
    angular_scale: float = 1.0


def column(variables: dict[str, list[str]], stream: str, name: str, what: str) -> int:
    """Index of ``name`` among the variables of ``stream``, with an error naming ``what`` needs it."""
    if stream not in variables:
        msg = f"{what} reads stream '{stream}', which is not in data.variables {sorted(variables)}."
        raise ValueError(msg)
    if name not in variables[stream]:
        msg = f"{what} needs variable '{name}' in data.variables.{stream} (has {variables[stream]}). Add it."
        raise ValueError(msg)
    return variables[stream].index(name)


class PointBackbone(nn.Module):
    """A backbone mapping all inputs of an event to one representation ``(B, out_features)``.

    Built late (``build``) once the input variables are known. ``forward`` gets the
    normalised inputs, the raw inputs (for kinematics and categorical ids) and the
    pad masks.
    """

    out_features: int

    def build(self, variables: dict[str, list[str]], global_object: str) -> None:
        raise NotImplementedError

    def forward(self, normed: Tensors, raw: Tensors, pad_masks: Masks) -> Tensor:
        raise NotImplementedError

    def kinematics(self, raw: Tensor, idx: tuple[int, int, int, int], scale: float) -> tuple[Tensor, ...]:
        """``(pt, eta, phi, energy)`` ``(B, N)`` from raw constituent inputs ``(B, N, F)``."""
        pt, eta, phi, e = (raw[..., i] for i in idx)
        return pt.clamp(min=0), eta / scale, phi / scale, e.clamp(min=0)

    @staticmethod
    def categorical(raw: Tensor, index: int, num: int) -> Tensor:
        """Integer ids from a raw float column, clipped into ``[0, num)``."""
        return raw[..., index].round().long().clamp(0, num - 1)

    @staticmethod
    def num_parameters(module: nn.Module) -> int:
        return sum(p.numel() for p in module.parameters())


def prepend(tokens: Tensor, *extra: Tensor) -> Tensor:
    """Concatenate ``(B, 1, D)`` tokens in front of ``(B, N, D)``."""
    return torch.cat([*extra, tokens], dim=1)
