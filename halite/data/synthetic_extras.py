"""Opt-in extras of the synthetic generator: electrons, soft-muon jet variables, a mass parameter.

``halite synth --electrons --soft-muons --parameters`` adds, on top of the default
``jets`` + ``tracks`` output (which stays byte-identical without the flags):

``electrons`` dataset ``(num_jets, num_electrons)``
    Electron candidates, valid ones first (sorted by descending pt). Heavy-flavour
    jets have more electrons, from semileptonic decays (displaced, non-isolated,
    ``E/p ~ 1``); the others are conversions (large ``|d0|``, ``E/p > 1``) and fakes
    (hadronic leakage ``rhad``, low ``E/p``). ``ftagTruthOriginLabel`` uses the track codes.
soft-muon jet variables (``softMuon_*`` in ``jets``)
    The leading soft muon in the jet: present more often in b- and c-jets, with larger
    ``pTrel`` and impact-parameter significance for b-jets. All zero without a muon.
``parameters`` dataset ``(num_jets,)`` with field ``mass``
    A mass-like parameter of the b-jet (signal) sample, drawn from ``MASS_POINTS``; the
    b-hadron flight distance (track impact parameters) scales with ``mass / MASS_REF``,
    so the signal changes with the parameter. Other jets (background) have ``mass = 0``.

The extras use their own random streams (derived from the seed and chunk), so the
default output does not change when they are switched on or off.
"""

from __future__ import annotations

import numpy as np

ELECTRON_DTYPE = np.dtype(
    [
        ("valid", "?"),
        ("pt", "f4"),
        ("eta", "f4"),
        ("phi", "f4"),
        ("deta", "f4"),
        ("dphi", "f4"),
        ("ptfrac", "f4"),
        ("d0", "f4"),
        ("d0Significance", "f4"),
        ("z0SinTheta", "f4"),
        ("EOverP", "f4"),
        ("ptVarCone30OverPt", "f4"),
        ("rhad", "f4"),
        ("ftagTruthOriginLabel", "i1"),
    ]
)

SOFT_MUON_FIELDS: list[tuple[str, str]] = [
    ("softMuon_isMuon", "f4"),
    ("softMuon_pt", "f4"),
    ("softMuon_dR", "f4"),
    ("softMuon_pTrel", "f4"),
    ("softMuon_ip3dD0Significance", "f4"),
    ("softMuon_qOverPratio", "f4"),
    ("softMuon_momentumBalanceSignificance", "f4"),
    ("softMuon_scatteringNeighbourSignificance", "f4"),
]
PARAMETER_DTYPE = np.dtype([("mass", "f4")])
#: mass points of the signal (b-jet) sample, in GeV
MASS_POINTS = np.array([20.0, 40.0, 60.0, 80.0])
MASS_REF = 50.0
_GEV = 1000.0
# per flavour (b, c, light)
_ELECTRON_RATE = np.array([0.6, 0.35, 0.15])
_P_HF_ELECTRON = np.array([0.7, 0.6, 0.0])
_P_MUON = np.array([0.2, 0.12, 0.01])
_FAKE, _FROM_B, _FROM_C, _OTHER_SEC = 1, 3, 5, 7


def extras_rng(seed: int, chunk: int) -> np.random.Generator:
    """Random stream of the extras for one chunk (independent of the default stream)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) % 2**63, int(chunk), 0xE1]))


def jet_dtype(base: np.dtype, soft_muons: bool) -> np.dtype:
    """The jets dtype, with the soft-muon fields appended when requested."""
    if not soft_muons:
        return base
    return np.dtype([*base.descr, *SOFT_MUON_FIELDS])


def sample_masses(rng: np.random.Generator, num_jets: int) -> np.ndarray:
    """A mass point per jet (used for the b-jets only)."""
    return rng.choice(MASS_POINTS, size=num_jets)


def parameters(masses: np.ndarray, flavour: np.ndarray) -> np.ndarray:
    """The ``parameters`` dataset: the mass for b-jets (signal), 0 for the others."""
    out = np.zeros(len(flavour), dtype=PARAMETER_DTYPE)
    out["mass"] = np.where(flavour == 0, masses, 0.0)
    return out


def add_soft_muons(rng: np.random.Generator, base: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Copy ``base`` jets into ``dtype`` and fill the soft-muon variables."""
    jets = np.zeros(len(base), dtype=dtype)
    for name in base.dtype.names or ():
        jets[name] = base[name]
    n = len(base)
    flav = base["flavour_label"].astype(np.int64)
    has = rng.random(n) < _P_MUON[flav]
    hf = flav < 2
    pt = base["pt"] * rng.uniform(0.05, 0.3, n)
    dr = np.abs(rng.normal(0.0, np.where(flav == 0, 0.12, 0.08))) + 0.005
    ptrel = rng.gamma(2.0, np.where(flav == 0, 0.7, np.where(flav == 1, 0.45, 0.3))) * _GEV
    sd0 = np.where(hf, rng.exponential(np.where(flav == 0, 6.0, 3.0)), 0.0) + rng.normal(0.0, 1.2, n)
    values = {
        "softMuon_isMuon": np.ones(n),
        "softMuon_pt": pt,
        "softMuon_dR": dr,
        "softMuon_pTrel": ptrel,
        "softMuon_ip3dD0Significance": sd0,
        "softMuon_qOverPratio": rng.normal(1.0, np.where(hf, 0.05, 0.2)),
        "softMuon_momentumBalanceSignificance": rng.normal(0.0, np.where(hf, 1.0, 3.0)),
        "softMuon_scatteringNeighbourSignificance": rng.normal(0.0, np.where(hf, 1.0, 3.0)),
    }
    for name, v in values.items():
        jets[name] = np.where(has, v, 0.0)
    return jets


def electrons(rng: np.random.Generator, jets: np.ndarray, num_electrons: int) -> np.ndarray:
    """The ``electrons`` dataset ``(num_jets, num_electrons)`` for ``jets``."""
    n_jets = len(jets)
    flav = jets["flavour_label"].astype(np.int64)
    n_el = np.minimum(rng.poisson(_ELECTRON_RATE[flav]), num_electrons)
    jet_idx = np.repeat(np.arange(n_jets), n_el)
    n = jet_idx.size
    jflav = flav[jet_idx]
    is_hf = rng.random(n) < _P_HF_ELECTRON[jflav]
    is_conv = ~is_hf & (rng.random(n) < 0.5)
    is_fake = ~is_hf & ~is_conv
    origin = np.where(is_hf, np.where(jflav == 0, _FROM_B, _FROM_C), np.where(is_conv, _OTHER_SEC, _FAKE))
    jpt = jets["pt"][jet_idx]
    pt = np.where(is_hf, jpt * rng.uniform(0.05, 0.4, n), 4.5 * _GEV + rng.exponential(4.0 * _GEV, n))
    width = np.where(is_hf, 0.08, 0.15)
    deta = np.clip(rng.normal(0.0, width), -0.4, 0.4)
    dphi = np.clip(rng.normal(0.0, width), -0.4, 0.4)
    eta = jets["eta"][jet_idx] + deta
    phi = np.mod(jets["phi"][jet_idx] + dphi + np.pi, 2 * np.pi) - np.pi
    sigma_d0 = 0.015 + 0.05 / (pt / _GEV)
    flight = np.where(jflav == 0, 0.25, 0.1)
    d0 = np.where(
        is_hf,
        np.where(rng.random(n) < 0.9, 1.0, -1.0) * rng.exponential(flight),
        np.where(is_conv, rng.normal(0.0, 1.0, n), 0.0),
    ) + sigma_d0 * rng.standard_normal(n)
    columns = {
        "valid": np.ones(n, dtype=bool),
        "pt": pt,
        "eta": eta,
        "phi": phi,
        "deta": deta,
        "dphi": dphi,
        "ptfrac": pt / jpt,
        "d0": d0,
        "d0Significance": d0 / sigma_d0,
        "z0SinTheta": rng.normal(0.0, 0.1, n),
        "EOverP": np.where(
            is_hf,
            rng.normal(1.0, 0.1, n),
            np.where(is_conv, rng.normal(1.3, 0.3, n), rng.normal(0.6, 0.3, n)),
        ),
        "ptVarCone30OverPt": rng.exponential(np.where(is_hf, 0.8, 0.3)),
        "rhad": np.where(is_fake, rng.normal(0.1, 0.08, n), rng.normal(0.01, 0.02, n)),
        "ftagTruthOriginLabel": origin,
    }
    order = np.lexsort((-pt, jet_idx))
    flat = np.empty(n, dtype=ELECTRON_DTYPE)
    for name, v in columns.items():
        flat[name] = v[order]
    out = np.zeros((n_jets, num_electrons), dtype=ELECTRON_DTYPE)
    slot_mask = np.arange(num_electrons)[None, :] < n_el[:, None]
    out[slot_mask] = flat
    return out
