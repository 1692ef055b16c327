"""Building blocks of PET2 (OmniLearned, Mikuni & Nachman, arXiv:2502.14652): norms, MLPs, physics features.

Each module carries the parameter names and shapes of its OmniLearned 0.2.0 counterpart
(``omnilearned.layers``), so that an OmniLearned state dict loads strictly into the modules of
``halite.nn.point.pet``. Per-particle features follow OmniLearned's input layout: ``x[..., 0:2]`` are
``Δη, Δφ`` to the jet axis and ``x[..., 2]`` is ``ln pT`` (the pairwise physics features read these).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

#: the norm of every PET2 block: OmniLearned's default ``DynamicTanh`` or a ``LayerNorm``
NormName = Literal["DynamicTanh", "LayerNorm"]
#: pairwise features: ``lhc`` (ln m², ln ΔR, ln kT of two particles)
InteractionType = Literal["lhc"]


class DynamicTanh(nn.Module):
    """``weight * tanh(alpha * x)``: a normalisation-free replacement of LayerNorm (Zhu et al., arXiv:2503.10622).

    Parameters
    ----------
    normalized_shape
        Width of the last dimension (one learned scale per feature).
    alpha_init_value
        Initial value of the one learned input scale ``alpha``.
    """

    def __init__(self, normalized_shape: int, alpha_init_value: float = 0.5) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.full((1,), float(alpha_init_value)))
        self.weight = nn.Parameter(torch.ones(normalized_shape))

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(self.alpha * x) * self.weight


def make_norm(name: NormName, width: int) -> nn.Module:
    """The block norm ``name`` over ``width`` features."""
    if name == "DynamicTanh":
        return DynamicTanh(width)
    if name == "LayerNorm":
        return nn.LayerNorm(width)
    msg = f"PET2 norm_layer '{name}' is not known; choose DynamicTanh or LayerNorm."
    raise ValueError(msg)


def make_activation(name: str) -> nn.Module:
    """A ``torch.nn`` activation by class name (``GELU``, ``SiLU``, ``LeakyReLU``, ...)."""
    cls = getattr(nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        msg = f"PET2 act_layer '{name}' is not a torch.nn activation (e.g. GELU, SiLU, LeakyReLU)."
        raise ValueError(msg)
    return cls()


class MLP(nn.Module):
    """``fc2(drop(norm(act(fc1(x)))))``, dropout again, optionally times a mask.

    The norm acts on the hidden layer, after the activation (OmniLearned's order).

    Parameters
    ----------
    in_features, hidden_features, out_features
        Widths (``out_features`` defaults to ``in_features``).
    act_layer
        Activation name.
    drop
        Dropout after the hidden layer and after the output.
    norm_layer
        Norm of the hidden layer, or ``None`` for none.
    bias
        Biases of both linear layers.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        out_features: int | None = None,
        act_layer: str = "GELU",
        drop: float = 0.0,
        norm_layer: NormName | None = None,
        bias: bool = True,
    ) -> None:
        super().__init__()
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features, bias=bias)
        self.act = make_activation(act_layer)
        self.fc2 = nn.Linear(hidden_features, out_features, bias=bias)
        self.drop = nn.Dropout(drop) if drop > 0.0 else nn.Identity()
        self.norm = make_norm(norm_layer, hidden_features) if norm_layer else nn.Identity()

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        x = self.drop(self.norm(self.act(self.fc1(x))))
        x = self.drop(self.fc2(x))
        return x if mask is None else x * mask


class NoScaleDropout(nn.Module):
    """Drop whole samples (all features of one batch entry) with probability ``rate``, without rescaling."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = torch.empty((x.shape[0],) + (1,) * (x.ndim - 1), device=x.device).bernoulli_(1 - self.rate)
        return x * keep


class InputBlock(nn.Module):
    """Particle embedding: ``MLP(norm(x))`` times the mask (``mlp``, ``norm`` as OmniLearned's)."""

    def __init__(
        self, in_features: int, hidden_features: int, out_features: int, act_layer: str, norm_layer: NormName
    ) -> None:
        super().__init__()
        self.mlp = MLP(in_features, hidden_features, out_features, act_layer, norm_layer=norm_layer)
        self.norm = make_norm(norm_layer, in_features)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        return self.mlp(self.norm(x), mask)


def positive_log(v: Tensor) -> Tensor:
    """``ln v`` where ``v > 0``, else 0."""
    return torch.log(torch.where(v > 0, v, torch.ones_like(v)))


def lhc_pair_features(xi: Tensor, xj: Tensor, mask: Tensor) -> Tensor:
    """``(ln m², ln ΔR, ln kT)`` of particle pairs ``(..., 3)``, zero where ``mask`` ``(..., 1)`` is 0.

    ``m² = 2 pT_i pT_j (cosh Δη - cos Δφ)``, ``ΔR² = Δη² + Δφ²``, ``kT = min(pT_i, pT_j) ΔR``, with
    ``pT = exp(x[..., 2])`` (massless particles, angles relative to the jet axis as given: no wrap).
    """
    deta = xi[..., 0] - xj[..., 0]
    dphi = xi[..., 1] - xj[..., 1]
    pti, ptj = torch.exp(xi[..., 2]), torch.exp(xj[..., 2])
    m2 = 2 * pti * ptj * (torch.cosh(deta) - torch.cos(dphi))
    dr2 = deta.square() + dphi.square()
    m = mask[..., 0]
    ln_m2 = positive_log(m2) * m
    ln_dr = 0.5 * positive_log(dr2) * m
    kt = torch.minimum(pti, ptj) * torch.sqrt(dr2) * m
    ln_kt = positive_log(kt) * m
    return torch.stack([ln_m2, ln_dr, ln_kt], dim=-1)


def pair_features(kind: InteractionType, xi: Tensor, xj: Tensor, mask: Tensor) -> Tensor:
    """The pairwise features of ``kind`` (``int_type``)."""
    if kind == "lhc":
        return lhc_pair_features(xi, xj, mask)
    msg = f"PET2 int_type '{kind}' is not supported; use 'lhc'."
    raise ValueError(msg)


class InteractionBlock(nn.Module):
    """Attention bias ``(B, H, N, N)`` from the pairwise physics features of all particle pairs.

    Parameters
    ----------
    hidden_features
        Base width (the MLP's hidden layer is twice as wide).
    out_features
        Attention heads.
    act_layer
        Activation name.
    int_type
        Pairwise features (``lhc``).
    """

    def __init__(
        self, hidden_features: int, out_features: int, act_layer: str, int_type: InteractionType
    ) -> None:
        super().__init__()
        pair_features(int_type, torch.zeros(1, 3), torch.zeros(1, 3), torch.ones(1, 1))  # validates int_type
        self.int_type: InteractionType = int_type
        self.mlp = MLP(3, 2 * hidden_features, out_features, act_layer)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Features ``(B, N, F)``, float mask ``(B, N, 1)`` -> bias ``(B, H, N, N)``, zero on padded pairs."""
        n = x.shape[1]
        xi = x.unsqueeze(2).expand(-1, -1, n, -1)
        xj = x.unsqueeze(1).expand(-1, n, -1, -1)
        pair_mask = (mask @ mask.transpose(-1, -2)).unsqueeze(-1)
        out = self.mlp(pair_features(self.int_type, xi, xj, pair_mask)) * pair_mask
        return out.permute(0, 3, 1, 2)
