"""Files in salt's dummy layout (what salt 0.13's ``write_dummy_file`` / ``write_dummy_norm_dict`` write).

Written for halite from the layout salt's tests use: 1000 jets, 40 track / flow slots, 10 electron
slots, structured arrays ``jets`` / ``tracks`` / ``tracks_dr`` / ``tracks_ghost`` / ``flows`` /
``flow`` / ``electrons`` (and ``parameters``), ``valid`` flags sorted to the front, NaN floats and
``-1`` labels in the padded slots, ``flavour_label`` class names as a ``jets`` attribute, and a norm
dict with mean = std = 1 and a class dict of per-class weights. ``gn3=True`` gives salt's GN3 labels
(``is_gn3``): six ``flavour_label`` classes (the ``ghostsplit*`` names) and their six class weights.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import yaml

JET_VARS = [
    "pt", "eta", "mass", "pt_btagJes", "eta_btagJes", "ptFromTruthDressedWZJet",
    "HadronConeExclTruthLabelPt", "HadronConeExclTruthLabelLxy", "n_tracks", "n_truth_promptLepton",
    "sample_weight", "softMuon_pt", "softMuon_dR", "softMuon_eta", "softMuon_phi",
    "softMuon_qOverPratio", "softMuon_momentumBalanceSignificance",
    "softMuon_scatteringNeighbourSignificance", "softMuon_pTrel", "softMuon_ip3dD0", "softMuon_ip3dZ0",
    "softMuon_ip3dD0Significance", "softMuon_ip3dZ0Significance", "softMuon_ip3dD0Uncertainty",
    "softMuon_ip3dZ0Uncertainty", "R10TruthLabel_R22v1", "R10TruthLabel_R22v1_TruthJetMass",
    "R10TruthLabel_R22v1_TruthJetPt",
]  # fmt: skip
NORM_JET_VARS = [v for v in JET_VARS if v not in ("sample_weight", "n_truth_promptLepton")]
TRACK_VARS = [
    "d0", "z0SinTheta", "dphi", "deta", "qOverP", "IP3D_signed_d0_significance",
    "IP3D_signed_z0_significance", "lifetimeSignedD0Significance", "lifetimeSignedZ0SinThetaSignificance",
    "phiUncertainty", "thetaUncertainty", "qOverPUncertainty", "numberOfPixelHits", "numberOfSCTHits",
    "numberOfInnermostPixelLayerHits", "numberOfNextToInnermostPixelLayerHits",
    "numberOfInnermostPixelLayerSharedHits", "numberOfInnermostPixelLayerSplitHits",
    "numberOfPixelSharedHits", "numberOfPixelSplitHits", "numberOfSCTSharedHits", "numberOfPixelHoles",
    "numberOfSCTHoles", "pt", "eta", "phi", "subjetIndex", "leptonID", "muon_quality",
    "muon_qOverPratio", "muon_momentumBalanceSignificance", "muon_scatteringNeighbourSignificance",
]  # fmt: skip
FLOW_VARS = ["pt", "energy", "deta", "dphi", "isCharged"]
ELECTRON_VARS = [
    "pt", "ptfrac", "ptrel", "dr", "abs_eta", "eta", "phi", "ftag_et", "qOverP", "d0RelativeToBeamspot",
    "d0RelativeToBeamspotSignificance", "ftag_z0AlongBeamspotSignificance", "ftag_ptVarCone30OverPt",
    "numberOfPixelHits", "numberOfSCTHitsInclDead", "ftag_deltaPOverP", "eProbabilityHT", "deltaEta1",
    "deltaPhiRescaled2", "ftag_energyOverP", "Rhad", "Rhad1", "Eratio", "weta2", "Rphi", "Reta", "wtots1", "f1", "f3",
]  # fmt: skip
ORIGIN_WEIGHTS = [4.2, 73.7, 1.0, 17.5, 12.3, 12.5, 141.7, 22.3]
GN3_CLASSES = [
    "ghostsplitbjets", "ghostsplitcjets", "ghostsplitsjets", "ghostsplitudjets", "ghostsplitgjets",
    "ghostsplittaujets",
]  # fmt: skip


def write_norm_and_class_dicts(norm_path: Path, class_path: Path, gn3: bool = False) -> None:
    """salt's dummy norm dict (mean = std = 1 for every variable) and class dict (``gn3``: GN3's)."""
    unit = {"mean": 1.0, "std": 1.0}
    norm = {
        "jets": {v: unit for v in NORM_JET_VARS},
        **{s: {v: unit for v in TRACK_VARS} for s in ("tracks", "tracks_dr", "tracks_ghost")},
        "electrons": {v: unit for v in ELECTRON_VARS},
        "flows": {v: unit for v in FLOW_VARS},
        "flow": {v: unit for v in FLOW_VARS},
    }
    weights = [1.0, 2.0, 2.0, 2.0]
    jets = (
        {"flavour_label": [1.0, 2.0, 2.0, 2.0, 1.0, 1.0]}
        if gn3
        else {"HadronConeExclTruthLabelID": weights, "flavour_label": weights}
    )
    classes = {
        "jets": jets,
        "tracks": {"ftagTruthOriginLabel": ORIGIN_WEIGHTS},
        "tracks_ghost": {"ftagTruthOriginLabel": ORIGIN_WEIGHTS},
    }
    norm_path.write_text(yaml.safe_dump(norm, sort_keys=False))
    class_path.write_text(yaml.safe_dump(classes, sort_keys=False))


def _valid(rng: np.random.Generator, n_jets: int, slots: int) -> np.ndarray:
    """``(n_jets, slots)`` valid flags, valid slots first (as salt's writer sorts them)."""
    return np.sort(rng.choice([True, False], size=(n_jets, slots)), axis=-1)[:, ::-1]


def _constituents(
    rng: np.random.Generator, n_jets: int, slots: int, floats: list[str], ints: list[str]
) -> np.ndarray:
    dtype = np.dtype([(v, "f4") for v in floats] + [(v, "i4") for v in ints] + [("valid", "?")])
    out = np.zeros((n_jets, slots), dtype=dtype)
    valid = _valid(rng, n_jets, slots)
    out["valid"] = valid
    for v in floats:
        out[v] = np.where(valid, rng.random((n_jets, slots)), np.nan)
    for v in ints:
        out[v] = np.where(valid, 0, -1)
    return out


def write_dummy_file(
    path: Path,
    n_jets: int = 1000,
    seed: int = 42,
    params: bool = False,
    taus: bool = False,
    gn3: bool = False,
) -> None:
    """A file in salt's dummy layout at ``path`` (``taus``: a fourth class name, as salt's test gives GN2;
    ``gn3``: six flavour classes, as salt's ``is_gn3``)."""
    rng = np.random.default_rng(seed)
    labels = ["flavour_label", "HadronConeExclTruthLabelID", "HadronGhostInitialTruthLabelPdgId"]
    jets = np.zeros(n_jets, dtype=np.dtype([(v, "f4") for v in JET_VARS] + [(v, "i4") for v in labels]))
    for v in JET_VARS:
        jets[v] = rng.random(n_jets)
    jets["flavour_label"] = rng.choice(range(6) if gn3 else [0, 1, 2], size=n_jets)
    jets["HadronConeExclTruthLabelID"] = rng.choice([0, 4, 5], size=n_jets)
    jets["HadronConeExclTruthLabelLxy"][jets["flavour_label"] == 0] = np.nan
    jets["HadronGhostInitialTruthLabelPdgId"] = rng.choice([0, 15, -511, 521, 10511, 441], size=n_jets)
    jets["sample_weight"] = rng.uniform(0.0, 1.0, size=n_jets)
    track_labels = [
        "ftagTruthOriginLabel",
        "ftagTruthTypeLabel",
        "ftagTruthVertexIndex",
        "ftagTruthParentBarcode",
    ]
    tracks = _constituents(rng, n_jets, 40, TRACK_VARS, track_labels)
    valid = tracks["valid"]
    tracks["ftagTruthOriginLabel"] = np.where(valid, rng.integers(0, 8, valid.shape), -1)
    tracks["ftagTruthVertexIndex"] = np.where(valid, rng.integers(0, 4, valid.shape), -1)
    tracks["ftagTruthTypeLabel"] = np.where(valid, rng.choice([-2, -3, 5, -5, 6, -6], valid.shape), 0)
    flows = _constituents(rng, n_jets, 40, FLOW_VARS, [])
    electrons = _constituents(
        rng, n_jets, 10, ELECTRON_VARS, ["ftagTruthOriginLabel", "ftagTruthVertexIndex"]
    )
    with h5py.File(path, "w") as f:
        f.attrs["unique_jets"] = n_jets
        f.attrs["config"] = "{}"
        f.create_dataset("jets", data=jets)
        f["jets"].attrs["flavour_label"] = (
            GN3_CLASSES if gn3 else ["bjets", "cjets", "ujets"] + (["taus"] if taus else [])
        )
        for name in ("tracks", "tracks_dr", "tracks_ghost"):
            f.create_dataset(name, data=tracks)
        f.create_dataset("electrons", data=electrons)
        f.create_dataset("flows", data=flows)
        f.create_dataset("flow", data=flows)
        if params:
            p = np.zeros(n_jets, dtype=[("mass", "f4")])
            p["mass"] = rng.choice([5, 16, 25, 40, 55], size=n_jets)
            f.create_dataset("parameters", data=p)
