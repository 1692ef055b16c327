"""The toy physics of ``halite.data.synthetic``: dtypes, flavour and origin tables, one chunk of jets.

See ``halite.data.synthetic`` for what the generator models; this module holds the per-chunk
sampling (vectorised numpy, seeded per chunk) and the structured dtypes it fills.
"""

from __future__ import annotations

import numpy as np

from halite.data.specs import KNOWN_CLASS_NAMES

#: class names for ``jets/flavour_label`` (index = label value), salt convention
FLAVOUR_NAMES: list[str] = KNOWN_CLASS_NAMES["flavour_label"]
#: class names for ``tracks/ftagTruthOriginLabel`` (index = label value), salt convention
TRACK_ORIGIN_NAMES: list[str] = KNOWN_CLASS_NAMES["ftagTruthOriginLabel"]

JET_DTYPE = np.dtype(
    [
        ("pt", "f4"),
        ("eta", "f4"),
        ("phi", "f4"),
        ("mass", "f4"),
        ("energy", "f4"),
        ("pt_btagJes", "f4"),
        ("eta_btagJes", "f4"),
        ("HadronConeExclTruthLabelID", "i4"),
        ("flavour_label", "i4"),
        ("n_tracks", "i4"),
        ("pt_truth", "f4"),
        ("sample_weight", "f4"),
        ("eventNumber", "i8"),
        ("mcEventWeight", "f4"),
    ]
)

TRACK_DTYPE = np.dtype(
    [
        ("valid", "?"),
        ("d0", "f4"),
        ("z0SinTheta", "f4"),
        ("dphi", "f4"),
        ("deta", "f4"),
        ("qOverP", "f4"),
        ("IP3D_signed_d0_significance", "f4"),
        ("IP3D_signed_z0_significance", "f4"),
        ("phiUncertainty", "f4"),
        ("thetaUncertainty", "f4"),
        ("qOverPUncertainty", "f4"),
        ("numberOfPixelHits", "u1"),
        ("numberOfSCTHits", "u1"),
        ("numberOfInnermostPixelLayerHits", "u1"),
        ("numberOfNextToInnermostPixelLayerHits", "u1"),
        ("numberOfInnermostPixelLayerSharedHits", "u1"),
        ("numberOfInnermostPixelLayerSplitHits", "u1"),
        ("numberOfPixelSharedHits", "u1"),
        ("numberOfPixelSplitHits", "u1"),
        ("numberOfSCTSharedHits", "u1"),
        ("leptonID", "i1"),
        ("pt", "f4"),
        ("eta", "f4"),
        ("phi", "f4"),
        ("ptfrac", "f4"),
        ("ftagTruthOriginLabel", "i1"),
        ("ftagTruthVertexIndex", "i1"),
    ]
)

# --- toy-physics constants -------------------------------------------------------------------------
_GEV = 1000.0
_PT_MIN, _PT_MAX, _PT_INDEX = 20.0 * _GEV, 1500.0 * _GEV, 2.5  # dN/dpt ~ pt^-index on [min, max]
_FLAVOUR_FRACTIONS = np.array([0.3, 0.2, 0.5])  # b, c, light
_HADRON_LABEL = np.array([5, 4, 0], dtype=np.int32)
_RESPONSE_SHIFT = np.array([0.04, 0.02, 0.0])  # b, c, light: 1 - <reco pt / truth pt>
_BASE_MULTIPLICITY = 8.5
_FLAVOUR_EXTRA_MULTIPLICITY = np.array([3.0, 1.5, 0.0])
_ZERO_TRACK_FRACTION = 0.01
_TRACK_PT_MIN = 500.0  # MeV
_MAX_D0 = 3.5  # mm, loose track selection
_MAX_Z0 = 5.0  # mm
# origin codes
_PU, _FAKE, _PRIMARY, _FROM_B, _FROM_BC, _FROM_C, _FROM_TAU, _OTHER_SEC = range(8)
# mean |d0| (mm) of the true displacement per origin (lifetime / material like)
_D0_SCALE = np.array([0.0, 0.0, 0.0, 0.30, 0.38, 0.12, 0.09, 0.9])
# probability that the lifetime sign of the displacement is positive, per origin
_POSITIVE_SIGN = np.array([0.5, 0.5, 0.5, 0.92, 0.94, 0.85, 0.8, 0.55])
# ftagTruthVertexIndex per origin (-1: no truth vertex of this jet)
_VERTEX_INDEX = np.array([-1, -1, 0, 1, 2, 1, 1, 3], dtype=np.int8)
# probability of an innermost (IBL) hit per origin
_P_INNERMOST = np.array([0.97, 0.6, 0.97, 0.95, 0.93, 0.96, 0.96, 0.35])
_P_NEXT_TO_INNERMOST = np.array([0.96, 0.6, 0.96, 0.95, 0.94, 0.96, 0.96, 0.5])


def _event_offset(seed: int) -> int:
    """First ``eventNumber`` of a file generated with ``seed``."""
    return (int(seed) % 2**31) * 1_000_000_000


def _chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    """Independent, reproducible generator for one chunk of one file."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) % 2**63, int(chunk)]))


def _sample_pt(rng: np.random.Generator, n: int) -> np.ndarray:
    """Truth jet pt in MeV from a truncated power law ``pt^-index``."""
    a = 1.0 - _PT_INDEX
    lo, hi = _PT_MIN**a, _PT_MAX**a
    return (lo + rng.random(n) * (hi - lo)) ** (1.0 / a)


def _generate_chunk(
    rng: np.random.Generator,
    num_jets: int,
    num_tracks: int,
    first_event: int,
    lifetime_scale: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Generate ``num_jets`` jets with their tracks (the vectorised core).

    ``lifetime_scale`` ``(num_jets,)`` scales the true displacement of b-jet tracks (``--parameters``).
    """
    n_jets = int(num_jets)
    # ---------------------------------------------------------------- jets
    flavour = rng.choice(3, size=n_jets, p=_FLAVOUR_FRACTIONS).astype(np.int32)
    pt_truth = _sample_pt(rng, n_jets)
    pt_gev = pt_truth / _GEV
    eta = rng.uniform(-2.5, 2.5, n_jets)
    phi = rng.uniform(-np.pi, np.pi, n_jets)
    resolution = np.sqrt((0.5 / np.sqrt(pt_gev)) ** 2 + 0.05**2)  # ~12% at 20 GeV, ~5% at 1 TeV
    response = 1.0 - _RESPONSE_SHIFT[flavour] + resolution * rng.standard_normal(n_jets)
    pt = pt_truth * np.clip(response, 0.3, 2.0)
    mass_frac = np.exp(rng.normal(np.log(0.12), 0.35, n_jets)) * np.where(flavour == 0, 1.25, 1.0)
    mass = pt * np.clip(mass_frac, 0.01, 0.5)
    energy = np.sqrt(mass**2 + (pt * np.cosh(eta)) ** 2)
    sample_weight = np.exp(rng.normal(0.0, 0.25, n_jets))
    mc_weight = np.clip(rng.normal(1.0, 0.05, n_jets), 0.5, 1.5)

    # ------------------------------------------------------- multiplicities
    lam = _BASE_MULTIPLICITY + _FLAVOUR_EXTRA_MULTIPLICITY[flavour] + 1.5 * np.log10(pt_gev / 20.0)
    n_trk = rng.poisson(lam)
    n_trk[rng.random(n_jets) < _ZERO_TRACK_FRACTION] = 0
    n_trk = np.clip(n_trk, 0, num_tracks).astype(np.int64)

    # heavy-flavour tracks, then multinomial split of the remainder
    n_hf = np.minimum(rng.poisson(np.where(flavour == 0, 4.0, 2.0)), n_trk)
    n_hf[flavour == 2] = 0
    n_from_bc = np.where(flavour == 0, rng.binomial(n_hf, 0.4), 0)
    counts = np.zeros((n_jets, 8), dtype=np.int64)
    counts[:, _FROM_B] = np.where(flavour == 0, n_hf - n_from_bc, 0)
    counts[:, _FROM_BC] = n_from_bc
    counts[:, _FROM_C] = np.where(flavour == 1, n_hf, 0)
    rest = n_trk - n_hf
    p_rest = np.array([0.07, 0.02, 0.867, 0.0, 0.0, 0.0, 0.003, 0.04])  # pu, fake, primary, ..., tau, other
    split = rng.multinomial(rest, p_rest)
    counts += split

    # --------------------------------------------------- flat (valid) tracks
    jet_idx = np.repeat(np.arange(n_jets), n_trk)
    origin = np.repeat(np.tile(np.arange(8, dtype=np.int8), n_jets), counts.ravel())
    n_flat = origin.size
    o = origin.astype(np.int64)
    is_pu = origin == _PU
    is_fake = origin == _FAKE
    is_hf = (origin == _FROM_B) | (origin == _FROM_BC) | (origin == _FROM_C) | (origin == _FROM_TAU)
    jpt_truth = pt_truth[jet_idx]
    jpt = pt[jet_idx]
    jflav = flavour[jet_idx]

    # track pt: share of the charged jet pt (harder for heavy-flavour decay products)
    share = rng.gamma(np.where(is_hf, 1.6, 0.8))
    in_jet = ~(is_pu | is_fake)
    share_sum = np.bincount(jet_idx, weights=np.where(in_jet, share, 0.0), minlength=n_jets)
    charged_frac = np.clip(rng.normal(0.6, 0.1, n_jets), 0.2, 0.95)
    trk_pt = np.where(
        in_jet,
        charged_frac[jet_idx] * jpt_truth * share / np.maximum(share_sum[jet_idx], 1e-12),
        _TRACK_PT_MIN + rng.exponential(1.2 * _GEV, n_flat),
    )
    trk_pt = np.maximum(trk_pt, _TRACK_PT_MIN)
    trk_pt_gev = trk_pt / _GEV

    # angles w.r.t. the jet axis: collimation grows with jet pt, soft tracks are broader
    width = 0.02 + np.minimum(0.2, 3.0 / (jpt / _GEV)) * (1.0 + 0.5 / np.sqrt(trk_pt_gev))
    width = np.where(is_pu | is_fake, 0.2, width)
    deta = np.clip(width * rng.standard_normal(n_flat), -0.4, 0.4)
    dphi = np.clip(width * rng.standard_normal(n_flat), -0.4, 0.4)
    trk_eta = eta[jet_idx] + deta
    trk_phi = np.mod(phi[jet_idx] + dphi + np.pi, 2.0 * np.pi) - np.pi
    cosh_eta = np.cosh(trk_eta)
    sin_theta = 1.0 / cosh_eta

    # hits; shared/split hits grow with the local track density (jet pt)
    p_inner = _P_INNERMOST[o]
    n_inner = (rng.random(n_flat) < p_inner).astype(np.int64)
    n_inner += (rng.random(n_flat) < 0.03) & (n_inner > 0)  # overlap modules
    n_next = (rng.random(n_flat) < _P_NEXT_TO_INNERMOST[o]).astype(np.int64)
    n_outer_pix = 2 - rng.binomial(2, np.where(is_fake, 0.3, 0.03)) + rng.binomial(1, 0.1, n_flat)
    n_pix = n_inner + n_next + n_outer_pix
    n_sct = 8 - rng.binomial(8, np.where(is_fake, 0.2, 0.02)) + rng.binomial(2, 0.2, n_flat)
    density = np.minimum(1.0, jpt / (1000.0 * _GEV))
    p_shared = np.where(is_fake, 0.15, 0.01 + 0.06 * density)
    p_split = 0.01 + 0.05 * density
    inner_shared = rng.binomial(n_inner, p_shared)
    inner_split = rng.binomial(n_inner, p_split)
    pix_shared = inner_shared + rng.binomial(n_pix - n_inner, p_shared)
    pix_split = inner_split + rng.binomial(n_pix - n_inner, p_split)
    sct_shared = rng.binomial(n_sct, 0.5 * p_shared)

    # impact parameters: resolution (worse without an innermost hit) plus true displacement
    degrade = np.where(n_inner > 0, 1.0, 1.8) * np.where(is_fake, 2.0, 1.0)
    sigma_d0 = np.sqrt(0.012**2 + (0.09 / trk_pt_gev) ** 2) * degrade * rng.lognormal(0.0, 0.1, n_flat)
    sigma_z0 = np.sqrt(0.04**2 + (0.12 / trk_pt_gev) ** 2) * degrade * rng.lognormal(0.0, 0.1, n_flat)
    lifetime_sign = np.where(rng.random(n_flat) < _POSITIVE_SIGN[o], 1.0, -1.0)
    d0_true = _D0_SCALE[o] * rng.exponential(1.0, n_flat)
    z0_true = 0.8 * _D0_SCALE[o] * rng.exponential(1.0, n_flat)
    if lifetime_scale is not None:
        factor = np.where(jflav == 0, lifetime_scale[jet_idx], 1.0)
        d0_true, z0_true = d0_true * factor, z0_true * factor
    d0_life = lifetime_sign * d0_true + sigma_d0 * rng.standard_normal(n_flat)
    z0_life = lifetime_sign * z0_true + sigma_z0 * rng.standard_normal(n_flat)
    # fakes: broad, non-Gaussian tails in both projections; pileup: other vertex in z
    d0_life = np.where(is_fake, rng.standard_t(2, n_flat) * 0.3, d0_life)
    z0_life = np.where(is_fake, rng.standard_t(2, n_flat) * 0.8, z0_life)
    z0_life = np.where(is_pu, rng.normal(0.0, 2.0, n_flat) + sigma_z0 * rng.standard_normal(n_flat), z0_life)
    d0_life = np.clip(d0_life, -_MAX_D0, _MAX_D0)
    z0_life = np.clip(z0_life, -_MAX_Z0, _MAX_Z0)
    geometric_sign = np.where(rng.random(n_flat) < 0.5, 1.0, -1.0)
    d0 = geometric_sign * d0_life
    z0_sin_theta = geometric_sign * z0_life
    sd0 = d0_life / sigma_d0
    sz0 = z0_life / sigma_z0

    # momentum and its uncertainties
    charge = np.where(rng.random(n_flat) < 0.5, 1.0, -1.0)
    p_abs = trk_pt * cosh_eta
    q_over_p = charge / p_abs
    rel_pt_res = np.sqrt(0.01**2 + (0.0005 * trk_pt_gev) ** 2) * degrade
    q_over_p_unc = np.abs(q_over_p) * rel_pt_res * rng.lognormal(0.0, 0.1, n_flat)
    phi_unc = np.sqrt(7e-5**2 + (1e-3 / trk_pt_gev) ** 2) * degrade * rng.lognormal(0.0, 0.1, n_flat)
    theta_unc = np.sqrt(2e-4**2 + (1.2e-3 / trk_pt_gev) ** 2) * sin_theta * rng.lognormal(0.0, 0.1, n_flat)

    # leptons: semileptonic heavy-flavour decays, rare fakes elsewhere
    p_lep = np.where(is_hf, np.where(jflav == 0, 0.05, 0.04), 0.002)
    is_lep = rng.random(n_flat) < p_lep
    lep_kind = np.where(rng.random(n_flat) < 0.5, 11, 13)
    lepton_id = np.where(is_lep, (lep_kind * -charge).astype(np.int64), 0)

    # ---------------------------------------- sort within jets, scatter to slots
    # one exact integer sort: jet index in the high 32 bits, descending |sd0| (float32 bit pattern,
    # monotonic for non-negative floats) in the low 32 bits
    abs_bits = np.abs(sd0).astype(np.float32).view(np.uint32).astype(np.int64)
    order = np.argsort((jet_idx.astype(np.int64) << 32) | (0xFFFFFFFF - abs_bits), kind="stable")
    slot_mask = np.arange(num_tracks)[None, :] < n_trk[:, None]

    columns: dict[str, np.ndarray] = {
        "valid": np.ones(n_flat, dtype=bool),
        "d0": d0,
        "z0SinTheta": z0_sin_theta,
        "dphi": dphi,
        "deta": deta,
        "qOverP": q_over_p,
        "IP3D_signed_d0_significance": sd0,
        "IP3D_signed_z0_significance": sz0,
        "phiUncertainty": phi_unc,
        "thetaUncertainty": theta_unc,
        "qOverPUncertainty": q_over_p_unc,
        "numberOfPixelHits": n_pix,
        "numberOfSCTHits": n_sct,
        "numberOfInnermostPixelLayerHits": n_inner,
        "numberOfNextToInnermostPixelLayerHits": n_next,
        "numberOfInnermostPixelLayerSharedHits": inner_shared,
        "numberOfInnermostPixelLayerSplitHits": inner_split,
        "numberOfPixelSharedHits": pix_shared,
        "numberOfPixelSplitHits": pix_split,
        "numberOfSCTSharedHits": sct_shared,
        "leptonID": lepton_id,
        "pt": trk_pt,
        "eta": trk_eta,
        "phi": trk_phi,
        "ptfrac": trk_pt / jpt,
        "ftagTruthOriginLabel": origin,
        "ftagTruthVertexIndex": _VERTEX_INDEX[o],
    }
    flat = np.empty(n_flat, dtype=TRACK_DTYPE)
    for name, values in columns.items():
        flat[name] = values[order]
    # scatter whole records as raw bytes (much faster than per-field masked assignment)
    tracks = np.zeros((n_jets, num_tracks), dtype=TRACK_DTYPE)
    itemsize = TRACK_DTYPE.itemsize
    dest = np.flatnonzero(slot_mask)
    tracks.reshape(-1).view(np.uint8).reshape(-1, itemsize)[dest] = flat.view(np.uint8).reshape(-1, itemsize)

    jets = np.zeros(n_jets, dtype=JET_DTYPE)
    jets["pt"] = pt
    jets["eta"] = eta
    jets["phi"] = phi
    jets["mass"] = mass
    jets["energy"] = energy
    jets["pt_btagJes"] = pt
    jets["eta_btagJes"] = eta
    jets["HadronConeExclTruthLabelID"] = _HADRON_LABEL[flavour]
    jets["flavour_label"] = flavour
    jets["n_tracks"] = n_trk
    jets["pt_truth"] = pt_truth
    jets["sample_weight"] = sample_weight
    jets["eventNumber"] = first_event + np.arange(n_jets, dtype=np.int64)
    jets["mcEventWeight"] = mc_weight
    return {"jets": jets, "tracks": tracks}
