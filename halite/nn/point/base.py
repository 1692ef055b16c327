"""Common interface of whole-event point-cloud backbones (ViT, PET2, ParT, CondOnlyMLP)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from halite.nn.backbone import Backbone, InputInfo
from halite.nn.layers.norm import InputNorm
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


class PointBackbone(Backbone):
    """A whole-event backbone: raw inputs -> one representation ``(B, out_features)``.

    ``build(info)`` creates the input normalisation of every stream (``input_norms``, from
    ``info.norm``) and then the subclass's layers (``build_points``); ``forward`` normalises
    the inputs (zero at padding) and calls the subclass's ``encode`` with the normalised
    inputs, the raw ones (for kinematics and categorical ids) and the pad masks.
    """

    out_features: int
    input_norms: nn.ModuleDict
    #: keep the input norms' mean and std in the state dict (PET2: no, its layout is OmniLearned's)
    persistent_norms: bool = True
    input_streams: list[str]  # the streams ``encode`` reads, set by ``build_points``

    def build(self, info: InputInfo) -> int:
        what = type(self).__name__
        if info.global_object is None:
            msg = f"{what} needs a global object (data.global_object, e.g. 'events' or 'jets')."
            raise ValueError(msg)
        self.input_norms = nn.ModuleDict(
            {
                s: InputNorm(list(v), info.stream_norm(s, what), self.persistent_norms)
                for s, v in info.variables.items()
            }
        )
        self.build_points({s: list(v) for s, v in info.variables.items()}, info.global_object)
        return int(self.out_features)

    def build_points(self, variables: dict[str, list[str]], global_object: str) -> None:
        """Create the layers for the input ``variables`` per stream; set ``input_streams``."""
        raise NotImplementedError

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Raw ``(B, F)`` / ``(B, N, F)`` per stream, pad masks ``(B, N)`` -> ``(B, out_features)``."""
        return self.encode(self.normalise(inputs, pad_masks), inputs, pad_masks)

    def normalise(self, inputs: Tensors, pad_masks: Masks) -> Tensors:
        """Normalised inputs of the streams with a norm, zero at padding."""
        normed = {}
        for s, x in inputs.items():
            if s not in self.input_norms:
                continue
            z = self.input_norms[s](x)
            normed[s] = z.masked_fill(pad_masks[s].unsqueeze(-1), 0.0) if s in pad_masks else z
        return normed

    def encode(self, normed: Tensors, raw: Tensors, pad_masks: Masks) -> Tensor:
        """Normalised and raw inputs per stream, pad masks -> ``(B, out_features)``."""
        raise NotImplementedError

    def kinematics(self, raw: Tensor, idx: tuple[int, ...], scale: float) -> tuple[Tensor, ...]:
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
