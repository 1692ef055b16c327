"""4-momenta ``(px, py, pz, E)`` (lumin's order) from the object features a halite dataset stores.

lumin's Lorentz Boost Networks read ``(px, py, pz, E)``; halite's track and jet inputs are often
``(pt, eta, phi)`` in MeV. ``to_four_momenta`` converts them (a halite extra: lumin has no conversion).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

__all__ = ["MOMENTUM_FORMATS", "MomentumFormat", "to_four_momenta"]

MomentumFormat = Literal["px_py_pz_e", "pt_eta_phi", "pt_eta_phi_m"]
# number of features per object, and their order, for each format
MOMENTUM_FORMATS: dict[str, tuple[str, ...]] = {
    "px_py_pz_e": ("px", "py", "pz", "E"),
    "pt_eta_phi": ("pt", "eta", "phi"),
    "pt_eta_phi_m": ("pt", "eta", "phi", "m"),
}


def to_four_momenta(
    x: Tensor, fmt: MomentumFormat = "px_py_pz_e", mass: float = 0.0, scale: float = 1.0
) -> Tensor:
    """Objects ``(B, n_objects, n_fpv)`` in ``fmt`` -> 4-momenta ``(B, n_objects, 4)`` as ``(px, py, pz, E)``.

    Parameters
    ----------
    x
        Object features, in the order ``MOMENTUM_FORMATS[fmt]``.
    fmt
        ``"px_py_pz_e"`` (lumin's input: returned as given when ``scale`` is 1), ``"pt_eta_phi"`` (massless
        but for ``mass``), ``"pt_eta_phi_m"``.
    mass
        Mass given to every object for ``"pt_eta_phi"`` (e.g. 139.57 MeV, the pion), in the units of ``x``.
    scale
        Factor on momenta, energies and masses (e.g. 1e-3: MeV -> GeV).

    Returns
    -------
    Tensor
        ``(B, n_objects, 4)``. An object whose features are all zero (padding) gives a zero 4-momentum
        (not ``E = mass``), so that it adds nothing to the combinations.
    """
    if fmt not in MOMENTUM_FORMATS:
        msg = f"to_four_momenta: unknown momentum format {fmt!r}; choose one of {tuple(MOMENTUM_FORMATS)}."
        raise ValueError(msg)
    want = len(MOMENTUM_FORMATS[fmt])
    if x.size(-1) != want:
        msg = f"to_four_momenta: format {fmt!r} needs {want} features {MOMENTUM_FORMATS[fmt]}, got {x.size(-1)}."
        raise ValueError(msg)
    if fmt == "px_py_pz_e":
        return x if scale == 1 else x * scale
    pt, eta, phi = x[..., 0], x[..., 1], x[..., 2]
    m = x[..., 3] if fmt == "pt_eta_phi_m" else torch.full_like(pt, mass)
    px, py, pz = pt * torch.cos(phi), pt * torch.sin(phi), pt * torch.sinh(eta)
    e = torch.sqrt(px**2 + py**2 + pz**2 + m**2)
    p4 = torch.stack((px, py, pz, e), dim=-1) * scale
    return p4.masked_fill((x == 0).all(-1, keepdim=True), 0.0)
