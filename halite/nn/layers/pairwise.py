"""Pairwise interaction features of constituent four-momenta (ParT, arXiv:2202.03772)."""

from __future__ import annotations

import torch
from torch import Tensor

PAIR_FEATURES = ("ln_delta", "ln_kt", "ln_z", "ln_m2")


def pair_features(pt: Tensor, eta: Tensor, phi: Tensor, energy: Tensor, eps: float = 1e-8) -> Tensor:
    """``ln Δ, ln kT, ln z, ln m²`` for every pair of constituents.

    Parameters
    ----------
    pt, eta, phi, energy
        ``(B, N)`` each.

    Returns
    -------
    Tensor
        ``(B, N, N, 4)``; ``Δ = sqrt(Δη² + Δφ²)``, ``kT = min(pT) Δ``,
        ``z = min(pT) / (pT_a + pT_b)``, ``m² = (E_a + E_b)² - |p_a + p_b|²``.
    """
    a = (pt.unsqueeze(-1), eta.unsqueeze(-1), phi.unsqueeze(-1), energy.unsqueeze(-1))
    b = (pt.unsqueeze(-2), eta.unsqueeze(-2), phi.unsqueeze(-2), energy.unsqueeze(-2))
    return pair_features_between(a, b, eps)


def pair_features_between(
    a: tuple[Tensor, Tensor, Tensor, Tensor], b: tuple[Tensor, Tensor, Tensor, Tensor], eps: float = 1e-8
) -> Tensor:
    """``ln Δ, ln kT, ln z, ln m²`` of the pairs ``(a, b)``: ``(pt, eta, phi, energy)`` each, broadcast.

    ``pair_features`` is this on the outer pairs; a list of pairs (``(T,)`` tensors per side) gives
    ``(T, 4)`` with the same values.
    """
    pt_a, eta_a, phi_a, e_a = a
    pt_b, eta_b, phi_b, e_b = b
    deta = eta_a - eta_b
    dphi = torch.remainder(phi_a - phi_b + torch.pi, 2 * torch.pi) - torch.pi
    delta = torch.sqrt(deta**2 + dphi**2 + eps)
    ptmin = torch.minimum(pt_a, pt_b)
    kt = ptmin * delta
    z = ptmin / (pt_a + pt_b + eps)
    e = e_a + e_b
    px = pt_a * torch.cos(phi_a) + pt_b * torch.cos(phi_b)
    py = pt_a * torch.sin(phi_a) + pt_b * torch.sin(phi_b)
    pz = pt_a * torch.sinh(eta_a) + pt_b * torch.sinh(eta_b)
    m2 = e**2 - px**2 - py**2 - pz**2
    feats = [delta, kt, z, m2]
    return torch.stack([torch.log(torch.clamp(f, min=eps)) for f in feats], dim=-1)


def knn_indices(eta: Tensor, phi: Tensor, pad_mask: Tensor, k: int) -> Tensor:
    """Indices ``(B, N, k)`` of the ``k`` nearest valid neighbours in ``(η, φ)`` (self excluded when possible)."""
    deta = eta.unsqueeze(-1) - eta.unsqueeze(-2)
    dphi = torch.remainder(phi.unsqueeze(-1) - phi.unsqueeze(-2) + torch.pi, 2 * torch.pi) - torch.pi
    d2 = deta**2 + dphi**2
    n = eta.shape[1]
    big = torch.finfo(d2.dtype).max / 4
    d2 = d2.masked_fill(pad_mask.unsqueeze(1), big)
    d2 = d2 + torch.eye(n, device=eta.device, dtype=d2.dtype) * big / 2  # prefer others over self
    # min(k, N) as the size of a slice: an int in eager mode, a graph value when traced (ONNX export)
    k = d2[..., :k].shape[-1]
    return torch.topk(d2, k, dim=-1, largest=False).indices
