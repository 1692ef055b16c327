"""Batches of Pythia events (``pythia.nextBatch``, awkward arrays) to per-event numpy records and jets.

Pythia's Python interface gives a batch of events as one awkward array (every particle's id,
status, mothers, daughters, four-momentum and production vertex), and FastJet clusters all events
of a batch in one call, so no Python code runs per particle. Per event the result holds what
:mod:`halite.data.pythia` labels and writes:

- the visible final-state particles (status > 0, not a neutrino): an ``(n, 9)`` array with the
  columns of :mod:`halite.data.pythia_jets` (four-momentum, charge, PDG id, production vertex);
- the weakly decaying B and C hadrons (``pt > 5 GeV``, no daughter of the same flavour);
- the hard process (statuses 21-29): its outgoing quarks and gluons and its hadronic tops, the
  top with its b and its W's two quarks as the event record holds them at the top's decay;
- the anti-kt jets with ``pt >= pt_min`` (by decreasing pt) and their constituents' rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from halite.data import pythia_jets as pj


@dataclass
class EventJets:
    """One event's particles, heavy hadrons, hard-process truth and jets."""

    particles: np.ndarray  # (n, 9): px, py, pz, E, charge, pid, x, y, z
    hadrons: np.ndarray  # (h, 4): pt, eta, phi, flavour (5 / 4)
    partons: np.ndarray  # (k, 3): pid, eta, phi of the outgoing hard quarks and gluons
    tops: list[np.ndarray]  # per hadronic top: (4, 2) eta, phi of top, b, q, q'
    jets: list[tuple[np.ndarray, np.ndarray]]  # (px, py, pz, E), constituent rows into particles


def _eta_phi(px: np.ndarray, py: np.ndarray, pz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pt = np.hypot(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.where(pt > 0, np.arcsinh(pz / np.where(pt > 0, pt, 1.0)), np.sign(pz) * 1e9)
    return eta, np.arctan2(py, px)


def _tops(
    pid: np.ndarray, status: np.ndarray, mother: np.ndarray, eta: np.ndarray, phi: np.ndarray
) -> list[np.ndarray]:
    hard = (np.abs(status) >= 21) & (np.abs(status) <= 29)
    mother_id = np.where(mother > 0, pid[np.clip(mother, 0, None)], 0)
    tops = []
    for sign in (1, -1):
        b = np.flatnonzero(hard & (pid == 5 * sign) & (mother_id == 6 * sign))
        q = np.flatnonzero(hard & (np.abs(status) == 23) & (np.abs(pid) <= 5) & (mother_id == 24 * sign))
        if len(b) == 1 and len(q) == 2:
            rows = [int(mother[b[0]]), int(b[0]), int(q[0]), int(q[1])]
            tops.append(np.stack([eta[rows], phi[rows]], axis=1))
    return tops


def _one_event(
    prt: dict[str, np.ndarray], lo: int, hi: int, charge: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """Particles, hadrons, partons, tops of entries ``[lo, hi)`` and the mask of visible final ones."""
    pid, status = prt["id"][lo:hi], prt["status"][lo:hi]
    px, py, pz, e = (prt[k][lo:hi] for k in ("px", "py", "pz", "e"))
    eta, phi = _eta_phi(px, py, pz)
    visible = (status > 0) & ~np.isin(np.abs(pid), (12, 14, 16))
    v = np.flatnonzero(visible)
    particles = np.stack(
        [
            px[v],
            py[v],
            pz[v],
            e[v],
            charge(pid[v]),
            pid[v],
            prt["x"][lo:hi][v],
            prt["y"][lo:hi][v],
            prt["z"][lo:hi][v],
        ],
        axis=1,
    ).astype(np.float64)
    hq = pj.heavy_quark(pid)
    pt = np.hypot(px, py)
    hadrons = []
    d1, d2 = prt["daughter1"][lo:hi], prt["daughter2"][lo:hi]
    for i in np.flatnonzero((status < 0) & ((hq == 4) | (hq == 5)) & (pt > pj.HADRON_PT_MIN)):
        first, last = int(d1[i]), max(int(d2[i]), int(d1[i]))
        if first > 0 and (hq[first : last + 1] == hq[i]).any():
            continue  # decays into a hadron of the same flavour: not the last one
        hadrons.append((pt[i], eta[i], phi[i], float(hq[i])))
    parton = (np.abs(status) == 23) & ((np.abs(pid) <= 5) | (pid == 21)) & (pt > 0)
    parton &= (np.abs(status) >= 21) & (np.abs(status) <= 29)
    partons = np.stack([pid[parton], eta[parton], phi[parton]], axis=1).astype(np.float64)
    tops = _tops(pid, status, prt["mother1"][lo:hi], eta, phi)
    return particles, np.asarray(hadrons, dtype=np.float64).reshape(-1, 4), partons, tops, visible


def batch_events(
    batch: Any, radius: float, pt_min: float, charge: Callable[[np.ndarray], np.ndarray]
) -> list[EventJets]:
    """Split a ``nextBatch`` array into :class:`EventJets`, clustering all events at once.

    Parameters
    ----------
    batch
        ``pythia.nextBatch(n)`` (awkward array of events with a ``prt`` field).
    radius, pt_min
        Anti-kt radius and the jets' minimum pt (GeV).
    charge
        PDG ids -> electric charges (units of e).
    """
    import awkward as ak
    import fastjet

    pj.banner_to_stderr()
    prt = batch["prt"]
    counts = ak.to_numpy(ak.num(prt)).astype(np.int64)
    vprod = ak.fill_none(prt.vProd, {"px": 0.0, "py": 0.0, "pz": 0.0, "e": 0.0})
    flat = {
        "id": ak.to_numpy(ak.flatten(prt.id)).astype(np.int64),
        "status": ak.to_numpy(ak.flatten(prt.status)).astype(np.int64),
        "mother1": ak.to_numpy(ak.flatten(prt.mother1)).astype(np.int64),
        "daughter1": ak.to_numpy(ak.flatten(prt.daughter1)).astype(np.int64),
        "daughter2": ak.to_numpy(ak.flatten(prt.daughter2)).astype(np.int64),
        **{k: ak.to_numpy(ak.flatten(prt.p[k])).astype(np.float64) for k in ("px", "py", "pz", "e")},
        **{
            k: ak.to_numpy(ak.flatten(vprod[c])).astype(np.float64)
            for k, c in (("x", "px"), ("y", "py"), ("z", "pz"))
        },
    }
    starts = np.concatenate([[0], np.cumsum(counts)])
    events = [_one_event(flat, int(starts[i]), int(starts[i + 1]), charge) for i in range(len(counts))]
    visible = np.concatenate([ev[4] for ev in events]) if events else np.zeros(0, bool)
    n_visible = np.array([len(ev[0]) for ev in events], dtype=np.int64)
    p4 = {k: ak.unflatten(flat[k][visible], n_visible) for k in ("px", "py", "pz")}
    p4["E"] = ak.unflatten(flat["e"][visible], n_visible)
    seq = fastjet.ClusterSequence(ak.zip(p4), fastjet.JetDefinition(fastjet.antikt_algorithm, float(radius)))
    jets = seq.inclusive_jets(float(pt_min))
    index = seq.constituent_index(float(pt_min))
    out = []
    for i, (particles, hadrons, partons, tops, _) in enumerate(events):
        ev_jets = jets[i]
        mom = np.stack([ak.to_numpy(ev_jets[k]) for k in ("px", "py", "pz", "E")], axis=1).reshape(-1, 4)
        rows = [np.asarray(ak.to_numpy(r), dtype=np.int64) for r in index[i]]
        order = np.argsort(-np.hypot(mom[:, 0], mom[:, 1]), kind="stable")
        found = [(mom[j], rows[j]) for j in order]
        out.append(EventJets(particles, hadrons, partons, tops, found))
    return out
