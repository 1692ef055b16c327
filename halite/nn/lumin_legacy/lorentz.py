"""Lorentz Boost Network over constituent 4-momenta (Erdmann et al., arXiv:1812.09722)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from halite.nn.layers.activations import Activation
from halite.nn.lumin_legacy.body import stacked_mlp
from halite.nn.lumin_legacy.matrix import MatrixHead, MatrixInputConfig

MomentumFormat = Literal["e_px_py_pz", "pt_eta_phi", "pt_eta_phi_m"]
_N_FEATURES = {"e_px_py_pz": 4, "pt_eta_phi": 3, "pt_eta_phi_m": 4}


def four_momenta(x: Tensor, fmt: MomentumFormat, mass: float = 0.0) -> Tensor:
    """``(..., 3 or 4)`` in ``fmt`` -> ``(..., 4)`` as ``(E, px, py, pz)``; ``mass`` fills ``pt_eta_phi``."""
    if fmt == "e_px_py_pz":
        return x
    pt, eta, phi = x[..., 0], x[..., 1], x[..., 2]
    m = x[..., 3] if fmt == "pt_eta_phi_m" else torch.full_like(pt, mass)
    sinh_eta = 0.5 * (torch.exp(eta) - torch.exp(-eta))  # written out: aten::sinh has no ONNX export
    px, py, pz = pt * torch.cos(phi), pt * torch.sin(phi), pt * sinh_eta
    e = torch.sqrt(px**2 + py**2 + pz**2 + m**2)
    return torch.stack([e, px, py, pz], dim=-1)


def mass_squared(p: Tensor) -> Tensor:
    """``E^2 - |p|^2`` of ``(..., 4)`` 4-momenta."""
    return p[..., 0] ** 2 - (p[..., 1:] ** 2).sum(-1)


def boost_to_rest_frame(p: Tensor, frame: Tensor, eps: float = 1e-12) -> Tensor:
    """Boost 4-momenta ``p`` ``(..., 4)`` into the rest frames of ``frame`` ``(..., 4)``.

    ``beta = p_frame / E_frame``, ``gamma = 1 / sqrt(1 - beta^2)``;
    ``E' = gamma (E - beta.p)``, ``p' = p + beta ((gamma^2 / (1 + gamma)) beta.p - gamma E)``.
    A frame with zero energy (an empty combination) leaves ``p`` unchanged.
    """
    e_f = frame[..., :1]
    beta = frame[..., 1:] / e_f.clamp(min=eps)
    b2 = (beta**2).sum(-1, keepdim=True).clamp(max=1.0 - 1e-9)
    gamma = 1.0 / torch.sqrt(1.0 - b2)
    bp = (beta * p[..., 1:]).sum(-1, keepdim=True)
    e = gamma * (p[..., :1] - bp)
    mom = p[..., 1:] + beta * (gamma**2 / (1.0 + gamma) * bp - gamma * p[..., :1])
    return torch.cat([e, mom], dim=-1)


def pair_indices(n: int) -> tuple[Tensor, Tensor]:
    """Indices ``(i, j)``, ``i < j``, of the ``n (n - 1) / 2`` pairs."""
    i, j = torch.triu_indices(n, n, offset=1)
    return i, j


class LorentzBoostNet(MatrixHead):
    """Learned particle combinations boosted into learned rest frames.

    ``n_particles`` combinations of the input objects and as many rest-frame
    combinations are formed with non-negative learned weights (``|W|``, so sums of
    physical 4-momenta stay time-like); combination ``m`` is boosted into rest frame
    ``m``. Default features: the boosted ``(E, px, py, pz)`` of every combination and
    the cosine of the angle between each pair of boosted 3-momenta, i.e.
    ``4 M + M (M - 1) / 2`` features; ``feat_extractor`` replaces them with any module
    ``(B, M, 4) -> (B, F)``. Boosts are computed in float64.

    Parameters
    ----------
    n_particles
        Number ``M`` of combinations (and rest frames).
    feat_extractor
        Optional module mapping the boosted ``(B, M, 4)`` to ``(B, F)``.
    bn
        Batch normalisation of the output features.
    momentum_format
        Layout of the input features (``matrix.features`` order).
    mass
        Mass given to every object for ``pt_eta_phi`` inputs (e.g. 139.57 MeV, the pion).
    scale
        Factor applied to momenta and masses first (e.g. 0.001: MeV -> GeV).
    matrix
        Input objects (``n_objects`` required; ``normalise: false`` for raw momenta).
    """

    needs_fixed_objects = True

    pair_i: Tensor
    pair_j: Tensor

    def __init__(
        self,
        n_particles: int,
        feat_extractor: nn.Module | None = None,
        bn: bool = True,
        momentum_format: MomentumFormat = "e_px_py_pz",
        mass: float = 0.0,
        scale: float = 1.0,
        matrix: MatrixInputConfig | None = None,
        freeze: bool = False,
    ) -> None:
        super().__init__(matrix, freeze)
        if n_particles < 1:
            msg = f"LorentzBoostNet needs n_particles >= 1, got {n_particles}."
            raise ValueError(msg)
        if matrix is not None and matrix.normalise:
            msg = "LorentzBoostNet needs raw 4-momenta: set matrix.normalise: false."
            raise ValueError(msg)
        self.n_particles, self.bn = n_particles, bn
        self.momentum_format, self.mass, self.scale = momentum_format, mass, scale
        self.feat_extractor = feat_extractor

    def build_matrix(self, n_objects: int | None, n_features: int) -> None:
        want = _N_FEATURES[self.momentum_format]
        if n_features != want:
            msg = (
                f"LorentzBoostNet with momentum_format '{self.momentum_format}' needs {want} features per "
                f"object, got {n_features}. Set matrix.features accordingly."
            )
            raise ValueError(msg)
        if n_objects is None:
            msg = "LorentzBoostNet needs a fixed number of objects (matrix.n_objects)."
            raise ValueError(msg)
        self.n_objects = n_objects
        self.particle_w = nn.Parameter(torch.randn(n_objects, self.n_particles).abs())
        self.restframe_w = nn.Parameter(torch.randn(n_objects, self.n_particles).abs())
        self.build_extractor()
        n_out = self.extractor_out_size()
        self.out_bn = nn.BatchNorm1d(n_out) if self.bn else nn.Identity()
        self._finish_build(n_out)

    def build_extractor(self) -> None:
        """Create learned feature extractors (none for the default features)."""
        m = self.n_particles
        i, j = pair_indices(m)
        self.register_buffer("pair_i", i)
        self.register_buffer("pair_j", j)

    def extractor_out_size(self) -> int:
        """Number of output features."""
        if self.feat_extractor is None:
            m = self.n_particles
            return 4 * m + m * (m - 1) // 2
        size = getattr(self.feat_extractor, "out_features", None)
        if size is None:
            with torch.no_grad():
                was = self.feat_extractor.training
                self.feat_extractor.eval()
                size = self.feat_extractor(torch.ones(1, self.n_particles, 4)).shape[-1]
                self.feat_extractor.train(was)
        return int(size)

    def boosted(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """Objects ``(B, O, F)`` -> boosted combinations ``(B, M, 4)`` (float64)."""
        p = four_momenta(x.double() * self.scale, self.momentum_format, self.mass * self.scale)
        if mask is not None:
            p = p.masked_fill(mask.unsqueeze(-1), 0.0)
        particles = torch.einsum("bof,om->bmf", p, self.particle_w.double().abs())
        frames = torch.einsum("bof,om->bmf", p, self.restframe_w.double().abs())
        return boost_to_rest_frame(particles, frames)

    def features(self, boosted: Tensor) -> Tensor:
        """Boosted ``(B, M, 4)`` -> features ``(B, F)``."""
        if self.feat_extractor is not None:
            return self.feat_extractor(boosted.to(self.particle_w.dtype))  # type: ignore[no-any-return]
        mom = boosted[..., 1:]
        unit = mom / mom.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        cos = (unit[:, self.pair_i] * unit[:, self.pair_j]).sum(-1)
        return torch.cat([boosted.flatten(1), cos], dim=-1)

    def forward_matrix(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """Objects ``(B, O, F)``, pad mask ``(B, O)`` -> ``(B, out_features)``."""
        if not torch.jit.is_tracing() and x.shape[1] != self.n_objects:
            msg = f"LorentzBoostNet was built for {self.n_objects} objects but got {x.shape[1]}."
            raise ValueError(msg)
        feats = self.features(self.boosted(x, mask)).to(x.dtype)
        return self.out_bn(feats)  # type: ignore[no-any-return]


class AutoExtractLorentzBoostNet(LorentzBoostNet):
    """``LorentzBoostNet`` whose features are learned.

    A shared network maps each boosted combination (``asinh`` of its 4-momentum) to
    ``n_singles`` features and another maps each pair of combinations to ``n_pairs``
    features, giving ``M n_singles + M (M - 1) / 2 n_pairs`` outputs.

    Parameters
    ----------
    n_singles, n_pairs
        Learned features per combination and per pair.
    depth, width
        Layers and hidden width of both networks.
    act
        Their activation.
    """

    def __init__(
        self,
        n_particles: int,
        n_singles: int = 4,
        n_pairs: int = 2,
        depth: int = 2,
        width: int = 16,
        act: Activation = "relu",
        bn: bool = True,
        momentum_format: MomentumFormat = "e_px_py_pz",
        mass: float = 0.0,
        scale: float = 1.0,
        matrix: MatrixInputConfig | None = None,
        freeze: bool = False,
    ) -> None:
        super().__init__(n_particles, None, bn, momentum_format, mass, scale, matrix, freeze)
        self.n_singles, self.n_pairs, self.depth, self.width, self.act = n_singles, n_pairs, depth, width, act

    def build_extractor(self) -> None:
        super().build_extractor()
        self.single_net = stacked_mlp(4, self.depth, self.width, self.n_singles, self.act)
        self.pair_net = (
            stacked_mlp(8, self.depth, self.width, self.n_pairs, self.act) if self.n_particles > 1 else None
        )

    def extractor_out_size(self) -> int:
        m = self.n_particles
        return m * self.n_singles + (m * (m - 1) // 2) * self.n_pairs * (self.pair_net is not None)

    def features(self, boosted: Tensor) -> Tensor:
        z = torch.asinh(boosted).to(self.particle_w.dtype)
        parts = [self.single_net(z).flatten(1)]
        if self.pair_net is not None:
            pairs = torch.cat([z[:, self.pair_i], z[:, self.pair_j]], dim=-1)
            parts.append(self.pair_net(pairs).flatten(1))
        return torch.cat(parts, dim=-1)
