"""Labelled anti-kt jets and their constituents (salt's layout) from Pythia events.

Used by :mod:`halite.data.pythia` on the per-event arrays of :mod:`halite.data.pythia_batch`:

1. the visible final-state particles of an event are rows of an ``(n, 9)`` array (columns
   :data:`PX` ... :data:`Z`: four-momentum, charge, PDG id, production vertex), the weakly
   decaying B and C hadrons (the last hadron of each heavy flavour in its decay chain,
   ``pt > 5 GeV``, see :func:`heavy_quark`) rows of an ``(h, 4)`` array;
2. :func:`hadron_labels` assigns each heavy hadron to the nearest jet within ``dR < 0.3``
   (exclusively, B before C): ATLAS's ``HadronConeExclTruthLabelID`` (5, 4 or 0), matched by
   ``dR`` to the hadrons rather than by ghost association;
3. :func:`constituent_records` fills the padded constituent rows of a jet, with impact
   parameters (see below).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

#: columns of the particle array returned by :func:`event_particles`
PX, PY, PZ, E, CHARGE, PID, X, Y, Z = range(9)

#: cone (dR) and minimum pt (GeV) of the heavy-hadron labelling
HADRON_DR = 0.3
HADRON_PT_MIN = 5.0

#: constituent fields written to HDF5 (GeV, mm, rad)
PARTICLE_DTYPE = np.dtype(
    [
        ("valid", "?"),
        ("px", "f4"),
        ("py", "f4"),
        ("pz", "f4"),
        ("energy", "f4"),
        ("pt", "f4"),
        ("eta", "f4"),
        ("phi", "f4"),
        ("deta", "f4"),
        ("dphi", "f4"),
        ("charge", "f4"),
        ("pid", "i4"),
        ("is_electron", "i1"),
        ("is_muon", "i1"),
        ("is_photon", "i1"),
        ("is_charged_hadron", "i1"),
        ("is_neutral_hadron", "i1"),
        ("d0", "f4"),
        ("z0", "f4"),
        ("d0_significance", "f4"),
        ("z0_significance", "f4"),
    ]
)


def heavy_quark(pid: Any) -> np.ndarray:
    """The heaviest quark (1-6) of hadrons' PDG ids, 0 for anything else (leptons, partons, diquarks)."""
    a = np.abs(np.asarray(pid, dtype=np.int64)) % 10_000  # drop the excitation digits
    baryon = (a // 1000) % 10
    out = np.where(baryon > 0, baryon, (a // 100) % 10)
    diquark = (a >= 1000) & ((a // 10) % 10 == 0)
    return np.where((a >= 100) & ~diquark, out, 0)


_BANNER_SHOWN = False


def banner_to_stderr() -> None:
    """FastJet prints its banner to stdout on first use: send it to stderr, once."""
    import fastjet

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return
    _BANNER_SHOWN = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        fastjet._swig.ClusterSequence.print_banner()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def kinematics(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """pt, eta, phi, mass of four-momenta ``(..., 4)`` (px, py, pz, E)."""
    px, py, pz, e = (p4[..., i] for i in range(4))
    pt = np.hypot(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.arcsinh(np.where(pt > 0, pz / np.where(pt > 0, pt, 1.0), 0.0))
    phi = np.arctan2(py, px)
    mass = np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))
    return pt, eta, phi, mass


def delta_r(eta1: Any, phi1: Any, eta2: Any, phi2: Any) -> Any:
    """Distance in (eta, phi), phi wrapped to [-pi, pi)."""
    dphi = (np.asarray(phi1) - np.asarray(phi2) + np.pi) % (2 * np.pi) - np.pi
    return np.hypot(np.asarray(eta1) - np.asarray(eta2), dphi)


def hadron_labels(jet_eta: np.ndarray, jet_phi: np.ndarray, hadrons: np.ndarray) -> np.ndarray:
    """``HadronConeExclTruthLabelID`` of each jet: 5 (a B hadron), 4 (a C hadron, no B) or 0.

    Each hadron goes to its nearest jet when that is within ``dR < 0.3`` (exclusive).
    """
    labels = np.zeros(len(jet_eta), dtype=np.int32)
    if len(jet_eta) == 0 or len(hadrons) == 0:
        return labels
    dr = delta_r(hadrons[:, 1:2], hadrons[:, 2:3], jet_eta[None, :], jet_phi[None, :])  # (h, jets)
    nearest = dr.argmin(axis=1)
    close = dr[np.arange(len(hadrons)), nearest] < HADRON_DR
    for flavour in (4, 5):  # b overrides c
        hit = nearest[close & (hadrons[:, 3] == flavour)]
        labels[hit] = flavour
    return labels


def _pid_flags(pid: np.ndarray, charge: np.ndarray) -> dict[str, np.ndarray]:
    a = np.abs(pid)
    lepton_or_photon = (a == 11) | (a == 13) | (a == 22)
    return {
        "is_electron": a == 11,
        "is_muon": a == 13,
        "is_photon": a == 22,
        "is_charged_hadron": (charge != 0) & ~lepton_or_photon,
        "is_neutral_hadron": (charge == 0) & ~lepton_or_photon,
    }


def constituent_records(
    particles: np.ndarray,
    rows: np.ndarray,
    jet_eta: float,
    jet_phi: float,
    num_slots: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Padded constituent records ``(num_slots,)`` of one jet, valid ones first by decreasing pt.

    Parameters
    ----------
    particles
        The event's particles (:func:`event_particles`).
    rows
        Rows of the jet's constituents in ``particles``.
    jet_eta, jet_phi
        The jet axis.
    num_slots
        Slots per jet; the softest constituents beyond it are dropped.
    rng
        Generator of the impact-parameter smearing.
    """
    c = particles[rows]
    pt, eta, phi, _ = kinematics(c[:, :4])
    order = np.argsort(-pt, kind="stable")[:num_slots]
    c, pt, eta, phi = c[order], pt[order], eta[order], phi[order]
    n = len(c)
    out = np.zeros(num_slots, dtype=PARTICLE_DTYPE)
    out["valid"][:n] = True
    for name, col in (("px", PX), ("py", PY), ("pz", PZ), ("energy", E), ("charge", CHARGE)):
        out[name][:n] = c[:, col]
    out["pid"][:n] = c[:, PID].astype(np.int32)
    out["pt"][:n], out["eta"][:n], out["phi"][:n] = pt, eta, phi
    out["deta"][:n] = eta - jet_eta
    out["dphi"][:n] = (phi - jet_phi + np.pi) % (2 * np.pi) - np.pi
    for name, flag in _pid_flags(c[:, PID], c[:, CHARGE]).items():
        out[name][:n] = flag
    charged = c[:, CHARGE] != 0
    x, y, z = c[:, X], c[:, Y], c[:, Z]
    safe_pt = np.maximum(pt, 1e-9)
    d0_true = (x * c[:, PY] - y * c[:, PX]) / safe_pt
    z0_true = z - (x * c[:, PX] + y * c[:, PY]) * c[:, PZ] / safe_pt**2
    sigma_d0 = np.hypot(0.010, 0.080 / safe_pt)
    sigma_z0 = np.hypot(0.030, 0.150 / safe_pt)
    noise = rng.standard_normal((2, n))
    d0 = np.where(charged, d0_true + sigma_d0 * noise[0], 0.0)
    z0 = np.where(charged, z0_true + sigma_z0 * noise[1], 0.0)
    sign_d0 = np.where(d0 * np.sin(phi - jet_phi) >= 0, 1.0, -1.0)
    sign_z0 = np.where(z0 * (jet_eta - eta) >= 0, 1.0, -1.0)
    out["d0"][:n], out["z0"][:n] = d0, z0
    out["d0_significance"][:n] = np.abs(d0) * sign_d0 / sigma_d0
    out["z0_significance"][:n] = np.abs(z0) * sign_z0 / sigma_z0
    return out
