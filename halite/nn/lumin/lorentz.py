"""``LorentzBoostNet``: lumin 0.9.1's Lorentz Boost Network head (Erdmann et al., arXiv:1812.09722).

The head reads the 4-momenta of ``len(vecs)`` objects, row-wise ``(B, n_vecs, 4)`` as
``(px, py, pz, E)`` (lumin's order: ``feats_per_vec`` names the columns, the energy last). It learns
``n_particles`` particle combinations and as many rest frames, each a sum of the objects with weights
``|W|`` (non-negative, so sums of physical 4-momenta stay physical), boosts combination ``k`` into rest
frame ``k`` and extracts features from the boosted 4-momenta.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import LookupInit
from halite.nn.lumin.activations import lookup_act as default_lookup_act
from halite.nn.lumin.four_momenta import MOMENTUM_FORMATS, MomentumFormat, to_four_momenta
from halite.nn.lumin.head_base import AbsMatrixHead, HeadInput
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["LBNFeatures", "LBNNumerics", "LorentzBoostNet", "boost_to_frames"]

LBNNumerics = Literal["safe", "lumin"]
LBNFeatures = Literal["lumin", "paper"]
_NUMERICS = ("safe", "lumin")
_FEATURES = ("lumin", "paper")
_ENERGY_NAMES = ("e", "energy")
# lumin's guards against division by zero in the boost
_EPS = 1e-10


def boost_to_frames(parts: Tensor, frames: Tensor, numerics: LBNNumerics = "safe") -> Tensor:
    """Boost 4-momenta ``parts`` into the rest frames of ``frames``, both ``(..., 4)`` as ``(px, py, pz, E)``.

    With ``b = -p_frame / (E_frame + 1e-10)``, ``gamma = 1 / (sqrt(1 - b^2) + 1e-10)``:
    ``p' = p + (gamma - 1) / (b^2 + 1e-10) (b.p) b + gamma E b`` and ``E' = gamma (E + b.p)``, lumin 0.9.1's
    arithmetic. A zero frame (every object zero-padded) leaves ``parts`` as they are.

    Parameters
    ----------
    parts, frames
        ``(..., 4)`` 4-momenta.
    numerics
        ``"safe"`` (default): ``1 - b^2`` is taken as 0 where it is negative (a frame beyond the speed of
        light: float32 rounding of a massless or light, energetic frame), so gamma is 1e10 as for
        ``b^2 = 1``, and the gradient of the square root is 0 where ``1 - b^2 <= 0``. ``"lumin"``: lumin
        0.9.1, NaN for ``b^2 > 1`` (and an infinite gradient at ``b^2 = 1``). The values are identical
        wherever lumin's are finite. A light-like frame has no rest frame: both give large, meaningless
        boosted momenta there; give the objects a mass.

    Returns
    -------
    Tensor
        ``(..., 4)`` boosted 4-momenta ``(px, py, pz, E)``.
    """
    b = -(frames / (frames[..., 3:4] + _EPS))[..., :3]
    b2 = b.norm(dim=-1, keepdim=True) ** 2
    one_minus_b2 = 1 - b2
    root = _safe_sqrt(one_minus_b2) if numerics == "safe" else torch.sqrt(one_minus_b2)
    gamma = 1 / (root + _EPS)
    coef = (gamma - 1) / (b2 + _EPS)
    mom, energy = parts[..., :3], parts[..., 3:]
    bp = torch.sum(mom * b, dim=-1, keepdim=True)
    return torch.cat((mom + coef * bp * b + gamma * b * energy, (energy + bp) * gamma), dim=-1)


def _safe_sqrt(x: Tensor) -> Tensor:
    """``sqrt(max(x, 0))`` with zero gradient where ``x <= 0`` (``torch.sqrt``: NaN below 0, infinite slope at 0)."""
    pos = x > 0
    return torch.where(pos, torch.sqrt(torch.where(pos, x, torch.ones_like(x))), torch.zeros_like(x))


def _safe_ratio(num: Tensor, den: Tensor, numerics: LBNNumerics) -> Tensor:
    """``num / den``; with ``"safe"`` numerics 0 where ``den`` is 0 (lumin: NaN, with NaN gradients)."""
    if numerics == "lumin":
        return num / den
    nonzero = den != 0
    return torch.where(nonzero, num / torch.where(nonzero, den, torch.ones_like(den)), torch.zeros_like(num))


class LorentzBoostNet(AbsMatrixHead):
    """Lorentz Boost Network head (lumin 0.9.1's ``LorentzBoostNet``, same arguments and state dict).

    ``n_particles`` particle combinations and rest frames are learned as non-negative sums ``|W|`` of
    the input objects; combination ``k`` is boosted into rest frame ``k``. The default feature extractor
    returns the boosted ``(px, py, pz, E)`` of every combination (particle-major) and then the cosine of
    the angle between the boosted 3-momenta of every pair ``comb`` (``n_particles (n_particles - 1) / 2``
    of them): ``4 n_particles + n_particles (n_particles - 1) / 2`` features. ``feat_extractor`` replaces
    it: a function (or module) ``(B, n_particles, 4) -> (B, F)`` given to the constructor, or an override
    of the ``feat_extractor`` method in a subclass. ``bn`` batch-normalises the extracted features.

    Inputs are flat ``(B, n_features)`` (columns named by ``cont_feats``; ``{vec}_{feat}`` elements absent
    from ``cont_feats`` are zero), a row-wise matrix ``(B, n_vecs, 4)``, or ``(flat, matrix)``. 4-momenta
    must be raw (not preprocessed) and physical (``E >= |p|``).

    Differences from lumin 0.9.1 (all equal to lumin on physical inputs with at least one non-zero object):

    - lumin 0.9.1 returns NaN for the cosine of a pair with a zero boosted 3-momentum (a sample whose
      objects are all zero-padded, or a combination equal to its frame) and for a rest frame with
      ``|p| > E`` (float32 rounding of a massless or light, energetic frame); here ``numerics="safe"``
      (default) gives cosine 0 and gamma 1e10 (as lumin's at ``|p| = E``), with finite gradients
      (``boost_to_frames``); ``numerics="lumin"`` keeps lumin's arithmetic.
    - lumin 0.9.1 takes the last axis of the ``feat_extractor`` output as the feature axis, so its own
      documented example (a mass extractor returning ``(B, n_particles, 1)``) gets ``out_sz`` 1 and fails
      in the batch norm; here an output with more than 2 axes is flattened to ``(B, F)`` (``out_sz`` 6 there).
    - lumin 0.9.1 registers an ``nn.Module`` given as ``feat_extractor`` (its parameters are in the state
      dict and the parameter count) but calls the default method instead, so the module is silently
      unused; here the module is used (same state-dict keys; ``out_sz`` and ``bn`` follow its output).
    - lumin 0.9.1 silently misreads ``feats_per_vec`` that do not have 4 entries (or an energy column not
      last); here that raises ``ValueError``.

    Against the paper (compared with its authors' reference implementation, riga/LBN): the combination
    weights (``|W|``, ``W ~ N(0, 1 / n_particles)``), the pairing of particle ``k`` with frame ``k`` (the
    "pairs" boost mode) and the Lorentz boost are the same; the guards differ (lumin adds 1e-10 outside
    the square root of gamma, the reference 1e-5 inside: gamma differs by about 5e-6 gamma^2, relative).
    The features differ: lumin extracts ``px, py, pz, E`` and the pair cosines; the paper's study (the
    default of riga/LBN 1.2) extracts ``E, pT, eta, phi, m`` of each boosted particle (feature-major) and
    the pair cosines. lumin's is the default, ``features="paper"`` gives the paper's
    (``5 n_particles + n_particles (n_particles - 1) / 2`` features).

    Parameters
    ----------
    cont_feats
        The matrix features present in the flat input, in column order.
    vecs
        The objects (feature-name prefixes, matrix rows).
    feats_per_vec
        The 4 features per object (suffixes, matrix columns), in lumin's order ``(px, py, pz, E)``,
        e.g. ``["px", "py", "pz", "E"]``.
    n_particles
        Number of particle combinations and rest frames to learn.
    feat_extractor
        If not None, replaces the ``feat_extractor`` method: ``(B, n_particles, 4) -> (B, F)`` (or any
        ``(B, ...)``, flattened).
    bn
        Batch-normalise the extracted features (``bn_class(F)``, attribute ``bn``; None when false).
    lookup_init, lookup_act
        Kept for subclasses (unused here, as in lumin).
    freeze
        Start with every parameter untrainable.
    bn_class
        Batch-norm class, called with the number of features.
    numerics
        ``"safe"`` (default) or ``"lumin"``: see above and ``boost_to_frames``.
    features
        Default feature extractor: ``"lumin"`` (default) or ``"paper"``; see above.
    precision
        halite extra: ``"float64"`` combines and boosts the objects in double precision (then back to the
        input's dtype). Frames near the speed of light make the boost ill-conditioned in float32 (a relative
        change of 1e-7 of an input can move the output by 1e-3 and more), so an exported graph, which sums
        in another order, matches only to that conditioning; default ``"float32"`` (lumin's arithmetic).
    momentum_format, mass, scale
        halite extras (``to_four_momenta``): objects given as ``"px_py_pz_e"`` (default, lumin's input, used
        as given), ``"pt_eta_phi"`` (with ``mass`` for every object) or ``"pt_eta_phi_m"``, in the order of
        ``feats_per_vec``, all multiplied by ``scale`` (e.g. 1e-3 for MeV -> GeV); all-zero objects are padding.

    Attributes
    ----------
    part_wgts, rf_wgts
        ``(n_particles, 1, n_vecs, 1)`` parameters; the weights are their absolute values.
    comb
        ``(n_particles (n_particles - 1) / 2, 2)`` index pairs ``i < j`` of the particles (a buffer that
        is not saved).
    out_sz
        Output width (``get_out_size``).

    Examples
    --------
    >>> lbn = LorentzBoostNet(cont_feats=cont_feats, vecs=vecs, feats_per_vec=["px", "py", "pz", "E"], n_particles=6)
    >>> lbn(x).shape  # (B, 4 * 6 + 15)
    """

    comb: Tensor
    bn: nn.Module | None

    def __init__(
        self,
        cont_feats: list[str],
        vecs: list[str],
        feats_per_vec: list[str],
        n_particles: int,
        feat_extractor: Callable[[Tensor], Tensor] | None = None,
        bn: bool = True,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
        *,
        numerics: LBNNumerics = "safe",
        features: LBNFeatures = "lumin",
        momentum_format: MomentumFormat = "px_py_pz_e",
        mass: float = 0.0,
        scale: float = 1.0,
        precision: Literal["float32", "float64"] = "float32",
        **kargs: Any,
    ) -> None:
        super().__init__(
            cont_feats=cont_feats,
            vecs=vecs,
            feats_per_vec=feats_per_vec,
            row_wise=True,
            lookup_init=lookup_init,
            lookup_act=lookup_act,
            freeze=freeze,
            bn_class=bn_class,
        )
        self.momentum_format, self.mass, self.scale = momentum_format, mass, scale
        if precision not in ("float32", "float64"):
            msg = f"{type(self).__name__}: precision must be 'float32' or 'float64', got {precision!r}."
            raise ValueError(msg)
        self.precision = precision
        self._check_args(n_particles, numerics, features)
        self.numerics, self.features = numerics, features
        self.n_particles = n_particles
        self.register_buffer("comb", torch.combinations(torch.arange(0, n_particles)), persistent=False)
        if feat_extractor is not None:
            self.feat_extractor = feat_extractor  # type: ignore[method-assign,assignment]
            if isinstance(feat_extractor, nn.Module):  # registered (state dict); now also found first
                object.__setattr__(self, "feat_extractor", feat_extractor)
        self.part_wgts, self.rf_wgts = self._get_wgts(), self._get_wgts()
        self.bn = None
        self.out_sz: int | None = None
        self.out_sz = self.check_out_sz()
        self.bn = self.bn_class(self.out_sz) if bn else None
        self._map_outputs()
        if self.freeze:
            self.freeze_layers()

    def _check_args(self, n_particles: int, numerics: str, features: str) -> None:
        name, momentum_format = type(self).__name__, self.momentum_format
        if n_particles < 1:
            msg = f"{name}: n_particles must be >= 1, got {n_particles}."
            raise ValueError(msg)
        if numerics not in _NUMERICS:
            msg = f"{name}: numerics must be one of {_NUMERICS}, got {numerics!r}."
            raise ValueError(msg)
        if features not in _FEATURES:
            msg = f"{name}: features must be one of {_FEATURES}, got {features!r}."
            raise ValueError(msg)
        if momentum_format not in MOMENTUM_FORMATS:
            msg = (
                f"{name}: momentum_format must be one of {tuple(MOMENTUM_FORMATS)}, got {momentum_format!r}."
            )
            raise ValueError(msg)
        want = MOMENTUM_FORMATS[momentum_format]
        if self.n_fpv != len(want):
            msg = (
                f"{name}: with momentum_format {momentum_format!r}, feats_per_vec must name the {len(want)} "
                f"features {want} in that order, got {self.fpv}."
            )
            raise ValueError(msg)
        energy = [i for i, f in enumerate(self.fpv) if f.lower() in _ENERGY_NAMES]
        if momentum_format == "px_py_pz_e" and energy and energy != [3]:
            order = [f for f in self.fpv if f.lower() not in _ENERGY_NAMES] + [self.fpv[energy[0]]]
            msg = (
                f"{name}: the energy must be the last of feats_per_vec (lumin's order (px, py, pz, E)), "
                f"got {self.fpv}; reorder it, e.g. {order}."
            )
            raise ValueError(msg)

    def _map_outputs(self) -> None:
        """Every input feature feeds every output column."""
        out = list(range(self.get_out_size()))
        self.feat_map = {f: list(out) for f in self.cont_feats}

    def _get_wgts(self) -> nn.Parameter:
        """Combination weights ``(n_particles, 1, n_vecs, 1)``, ``randn / n_particles``."""
        return nn.Parameter(torch.randn(self.n_particles, 1, self.n_v, 1) / self.n_particles)

    def _combine(self, wgts: Tensor, x: Tensor) -> Tensor:
        """``|W|``-weighted sums of the objects ``(B, n_vecs, 4)`` -> ``(B, n_particles, 4)``."""
        return (wgts.abs() * x.unsqueeze(0)).sum(2).transpose(0, 1)

    def _get_particles(self, x: Tensor) -> Tensor:
        """Objects ``(B, n_vecs, 4)`` -> combinations boosted into their frames ``(B, n_particles, 4)``."""
        dtype = x.dtype
        if self.precision == "float64":
            x = x.double()
        parts, frames = (
            self._combine(self.part_wgts.to(x.dtype), x),
            self._combine(self.rf_wgts.to(x.dtype), x),
        )
        return boost_to_frames(parts, frames, self.numerics).to(dtype)

    def _pair_cos(self, x: Tensor) -> Tensor:
        """Cosine of the angle between the 3-momenta of each pair ``comb``: ``(B, P, 4) -> (B, n_pairs)``."""
        pairs = x[:, self.comb]
        v0, v1 = pairs[:, :, 0, :3], pairs[:, :, 1, :3]
        return _safe_ratio(torch.sum(v0 * v1, dim=2), v0.norm(dim=2) * v1.norm(dim=2), self.numerics)

    def _paper_feats(self, x: Tensor) -> Tensor:
        """``E, pT, eta, phi, m`` of each particle (feature-major) -> ``(B, 5 n_particles)``.

        Guarded whatever ``numerics`` says (the paper's reference implementation regularises them too):
        ``m = sqrt(max(E^2 - p^2, 0))``, ``eta`` from ``pz / p`` clamped to 1 - 1e-6, ``phi = 0`` at ``pT = 0``.
        """
        px, py, pz, e = x.unbind(-1)
        pt2 = px**2 + py**2
        p2 = pt2 + pz**2
        pt, p = _safe_sqrt(pt2), _safe_sqrt(p2)
        eta = torch.atanh(_safe_ratio(pz, p, "safe").clamp(-1 + 1e-6, 1 - 1e-6))
        flat = pt2 == 0  # atan2(0, 0) has a NaN gradient: phi 0 there
        phi = torch.where(flat, 0, torch.atan2(py, torch.where(flat, 1, px)))
        m = _safe_sqrt(e**2 - p2)
        return torch.cat((e, pt, eta, phi, m), dim=-1)

    def feat_extractor(self, x: Tensor) -> Tensor:
        """Features of the boosted particles ``(B, n_particles, 4)`` as ``(px, py, pz, E)`` -> ``(B, F)``.

        ``features="lumin"``: the 4-momenta ``(B, 4 n_particles)`` then the pair cosines; ``"paper"``: ``E,
        pT, eta, phi, m`` then the pair cosines. Override it in a subclass, or pass ``feat_extractor``.
        """
        first = x.reshape(x.size(0), -1) if self.features == "lumin" else self._paper_feats(x)
        return torch.cat((first, self._pair_cos(x)), -1)

    def forward(self, x: HeadInput) -> Tensor:
        """Flat ``(B, n_features)``, a matrix ``(B, n_vecs, 4)`` or ``(flat, matrix)`` -> ``(B, out_sz)``."""
        mat = to_four_momenta(self._process_input(x), self.momentum_format, self.mass, self.scale)
        out = self.feat_extractor(self._get_particles(mat))
        if out.dim() > 2:
            out = out.reshape(out.size(0), -1)
        if self.out_sz is not None and self.bn is not None:
            out = self.bn(out)
        return out

    def get_out_size(self) -> int:
        """Width of the output."""
        if self.out_sz is None:
            msg = f"{type(self).__name__}: the output size is not known yet (check_out_sz sets it)."
            raise RuntimeError(msg)
        return self.out_sz

    def check_out_sz(self) -> int:
        """Output width, from a pass of random data ``(1, n_vecs, 4)`` in eval mode (as lumin: uses the RNG)."""
        x = torch.rand((1, self.n_v, self.n_fpv), device=self.part_wgts.device)
        training = self.training
        self.eval()
        with torch.no_grad():
            out = self.forward(x)
        if training:
            self.train()
        return int(out.size(-1))
