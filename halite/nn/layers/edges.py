"""Pairwise edge features computed on the fly from constituent variables.

As used by GN2-style taggers with edges and by the Particle Transformer
(Qu, Li and Qian, arXiv:2202.03772): for constituents ``i, j`` of one jet with
``deta = eta_i - eta_j`` and ``dphi = phi_i - phi_j`` (wrapped into ``[-pi, pi]``),

``dR``          ``log(sqrt(deta^2 + dphi^2))``              needs ``eta``, ``phi``
``kt``          ``log(min(pt_i, pt_j) * sqrt(deta^2 + dphi^2))``  needs ``pt``, ``eta``, ``phi``
``z``           ``log(min(pt_i, pt_j) / (pt_i + pt_j))``    needs ``pt``
``isSelfLoop``  ``1`` if ``i == j``                            needs nothing
``subjetIndex`` ``1`` if both have the same ``subjetIndex``      needs ``subjetIndex``

``sqrt(deta^2 + dphi^2)`` and the arguments of the logarithms are clamped at ``EPS``
(self loops have ``dR = 0``).
Pairs involving a padded slot are set to zero. The variables are read raw (before
normalisation) from the stream's inputs, so they must be listed in ``data.variables``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

EdgeFeatureName = Literal["dR", "kt", "z", "isSelfLoop", "subjetIndex"]

#: edge feature -> constituent variables it needs
REQUIRED_VARIABLES: dict[str, tuple[str, ...]] = {
    "dR": ("eta", "phi"),
    "kt": ("pt", "eta", "phi"),
    "z": ("pt",),
    "isSelfLoop": (),
    "subjetIndex": ("subjetIndex",),
}
EPS = 1e-6


@dataclass
class EdgeFeaturesConfig:
    """Which edge features to compute, for which stream.

    Parameters
    ----------
    input_name
        The constituent stream (e.g. ``tracks``).
    features
        Edge features, any of ``dR``, ``kt``, ``z``, ``isSelfLoop``, ``subjetIndex``.
    """

    input_name: str
    features: list[EdgeFeatureName] = field(default_factory=lambda: ["dR", "kt", "z", "isSelfLoop"])


class EdgeFeatures(nn.Module):
    """Compute ``(B, N, N, E)`` edge features from raw constituents ``(B, N, F)``.

    Parameters
    ----------
    config
        Stream and features.
    variables
        The stream's input variables, in input order.
    """

    def __init__(self, config: EdgeFeaturesConfig, variables: list[str]) -> None:
        super().__init__()
        if not config.features:
            msg = (
                f"edge_features for '{config.input_name}' lists no features; add some or remove the section."
            )
            raise ValueError(msg)
        self.input_name = config.input_name
        self.features = list(config.features)
        self.index: dict[str, int] = {}
        for feat in self.features:
            if feat not in REQUIRED_VARIABLES:
                msg = f"Unknown edge feature '{feat}'. Choose from {sorted(REQUIRED_VARIABLES)}."
                raise ValueError(msg)
            for var in REQUIRED_VARIABLES[feat]:
                if var not in variables:
                    msg = (
                        f"Edge feature '{feat}' needs the variable '{var}' of stream '{config.input_name}', "
                        f"which is not in data.variables.{config.input_name}. Add '{var}' there."
                    )
                    raise ValueError(msg)
                self.index[var] = variables.index(var)
        self.out_features = len(self.features)

    def _var(self, x: Tensor, name: str) -> Tensor:
        return x[..., self.index[name]]

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        """Raw constituents ``x`` ``(B, N, F)``, ``pad_mask`` ``(B, N)`` -> ``(B, N, N, E)``."""
        x = x.float()
        out: list[Tensor] = []
        dr = None
        if "eta" in self.index:
            eta, phi = self._var(x, "eta"), self._var(x, "phi")
            deta = eta[:, :, None] - eta[:, None, :]
            dphi = torch.remainder(phi[:, :, None] - phi[:, None, :] + math.pi, 2 * math.pi) - math.pi
            dr = torch.sqrt((deta**2 + dphi**2).clamp(min=EPS**2))  # finite gradients at dR = 0
        if "pt" in self.index:
            pt = self._var(x, "pt")
            pt_min = torch.minimum(pt[:, :, None], pt[:, None, :])
            pt_sum = pt[:, :, None] + pt[:, None, :]
        n = x.shape[1]
        for feat in self.features:
            if feat == "dR":
                assert dr is not None
                out.append(torch.log(dr.clamp(min=EPS)))
            elif feat == "kt":
                assert dr is not None
                out.append(torch.log((pt_min * dr).clamp(min=EPS)))
            elif feat == "z":
                out.append(torch.log((pt_min.clamp(min=EPS) / pt_sum.clamp(min=EPS)).clamp(min=EPS)))
            elif feat == "isSelfLoop":
                eye = torch.eye(n, dtype=x.dtype, device=x.device)
                out.append(eye.expand(x.shape[0], n, n))
            else:
                sub = self._var(x, "subjetIndex")
                out.append((sub[:, :, None] == sub[:, None, :]).to(x.dtype))
        edges = torch.stack(out, dim=-1)
        pair_pad = pad_mask[:, :, None] | pad_mask[:, None, :]
        return edges.masked_fill(pair_pad.unsqueeze(-1), 0.0)
