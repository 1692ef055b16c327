"""Pythia 8 + FastJet jet samples in salt's HDF5 layout (``halite synth-pythia``).

Three processes (pp at 13 TeV, every sample class-balanced):

``top_qcd``
    all-hadronic ttbar (top jets: the top, its b and its W's two quarks, as the event record holds
    them at the top's decay, all within ``dR < R`` of the jet axis) against QCD dijets
    (``HardQCD:all``); anti-kt ``R = 0.8``.
    Label ``is_top`` (``label``: QCD 0, top 1).
``quark_gluon``
    Z(-> nu nu) + jet, ``q g -> Z q`` (quark jets) and ``q qbar -> Z g`` (gluon jets); the jet
    matched (``dR < R``) to the outgoing hard parton, labelled by it. Label ``is_quark``
    (``label``: gluon 0, quark 1); anti-kt ``R = 0.4``.
``flavour``
    heavy-flavour pair production (``HardQCD:hardbbbar``, ``hardccbar``) and QCD dijets; b, c and
    light jets from ``HadronConeExclTruthLabelID`` (see :mod:`halite.data.pythia_jets`).
    Labels ``flavour_label`` (salt's order: bjets 0, cjets 1, ujets 2) and ``label`` (the same).

Every jet also carries ``HadronConeExclTruthLabelID``; labels a process does not define are -1.
Jets are generated in chunks (:func:`generate`, seeded from ``(seed, split, chunk)``) that
:mod:`halite.data.pythia_files` writes to a ``jets`` dataset ``(num_jets,)`` and a ``particles``
dataset ``(num_jets, num_constituents)`` (:data:`~halite.data.pythia_jets.PARTICLE_DTYPE`, valid
rows first). Multiple parton interactions are off by default (``mpi=True`` turns them on); the
hard process is generated with ``0.85 pt_min < pTHat < 1.2 pt_max``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from halite.data import pythia_batch as pb
from halite.data import pythia_jets as pj
from halite.errors import DataError

log = logging.getLogger(__name__)

JET_DTYPE = np.dtype(
    [
        ("pt", "f4"),
        ("eta", "f4"),
        ("phi", "f4"),
        ("mass", "f4"),
        ("energy", "f4"),
        ("n_constituents", "i4"),
        ("label", "i4"),
        ("is_top", "i4"),
        ("is_quark", "i4"),
        ("HadronConeExclTruthLabelID", "i4"),
        ("flavour_label", "i4"),
        ("parton_id", "i4"),
        ("eventNumber", "i8"),
    ]
)

FLAVOUR_NAMES = ["bjets", "cjets", "ujets"]
_COMMON = [
    "Beams:eCM = 13000.",
    "Next:numberCount = 0",
    "Print:quiet = on",
    "ParticleDecays:limitTau0 = on",
    "ParticleDecays:tau0Max = 10.",
    "Random:setSeed = on",
]
_Z_INVISIBLE = ["WeakZ0:gmZmode = 2", "23:onMode = off", "23:onIfAny = 12 14 16"]


@dataclass(frozen=True)
class Source:
    """One Pythia configuration of a process and the classes it mostly yields."""

    name: str
    settings: tuple[str, ...]
    classes: tuple[int, ...]


@dataclass(frozen=True)
class Process:
    """A sample: its sources, class names and defaults (jet radius, pt window in GeV, slots)."""

    name: str
    sources: tuple[Source, ...]
    class_names: tuple[str, ...]
    radius: float
    pt_min: float
    pt_max: float
    eta_max: float
    num_constituents: int
    jets_per_event: int


PROCESSES: dict[str, Process] = {
    "top_qcd": Process(
        "top_qcd",
        (
            Source("ttbar", ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "24:onMode = off", "24:onIfAny = 1 2 3 4 5"), (1,)),
            Source("qcd", ("HardQCD:all = on",), (0,)),
        ),
        ("QCD", "top"),
        0.8, 500.0, 700.0, 2.0, 128, 2,
    ),
    "quark_gluon": Process(
        "quark_gluon",
        (
            Source("zq", ("WeakBosonAndParton:qg2gmZq = on", *_Z_INVISIBLE), (1,)),
            Source("zg", ("WeakBosonAndParton:qqbar2gmZg = on", *_Z_INVISIBLE), (0,)),
        ),
        ("gluon", "quark"),
        0.4, 100.0, 200.0, 2.0, 64, 1,
    ),
    "flavour": Process(
        "flavour",
        (
            Source("heavy", ("HardQCD:hardbbbar = on", "HardQCD:hardccbar = on"), (0, 1)),
            Source("qcd", ("HardQCD:all = on",), (2,)),
        ),
        tuple(FLAVOUR_NAMES),
        0.4, 30.0, 200.0, 2.5, 48, 2,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Options:
    """What to generate (``None`` takes the process's default)."""

    process: str
    radius: float | None = None
    pt_min: float | None = None
    pt_max: float | None = None
    eta_max: float | None = None
    num_constituents: int | None = None
    mpi: bool = False

    def resolved(self) -> tuple[Process, float, float, float, float, int]:
        """The process and its radius, pt window, |eta| cut and slots, checked."""
        if self.process not in PROCESSES:
            msg = f"Unknown process '{self.process}'; choose one of {sorted(PROCESSES)}."
            raise DataError(msg)
        p = PROCESSES[self.process]
        r = p.radius if self.radius is None else float(self.radius)
        lo = p.pt_min if self.pt_min is None else float(self.pt_min)
        hi = p.pt_max if self.pt_max is None else float(self.pt_max)
        eta = p.eta_max if self.eta_max is None else float(self.eta_max)
        slots = p.num_constituents if self.num_constituents is None else int(self.num_constituents)
        if not 0 < r <= 2.0:
            msg = f"Jet radius {r} must be in (0, 2]."
            raise DataError(msg)
        if not 0 < lo < hi:
            msg = f"pt window [{lo}, {hi}] GeV must satisfy 0 < pt_min < pt_max."
            raise DataError(msg)
        if eta <= 0 or slots < 1:
            msg = f"eta_max ({eta}) must be > 0 and num_constituents ({slots}) >= 1."
            raise DataError(msg)
        return p, r, lo, hi, eta, slots


def _pythia(source: Source, seed: int, pt_min: float, pt_max: float, mpi: bool) -> Any:
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    settings = [
        *_COMMON,
        f"Random:seed = {seed}",
        f"PartonLevel:MPI = {'on' if mpi else 'off'}",
        f"PhaseSpace:pTHatMin = {0.85 * pt_min:g}",
        f"PhaseSpace:pTHatMax = {1.2 * pt_max:g}",
        *source.settings,
    ]
    for line in settings:
        if not pythia.readString(line):
            msg = f"Pythia rejected the setting '{line}'."
            raise DataError(msg)
    if not pythia.init():
        msg = f"Pythia failed to initialise the '{source.name}' source (pt window {pt_min}-{pt_max} GeV)."
        raise DataError(msg)
    return pythia


def _labels(
    process: str,
    source: Source,
    event: pb.EventJets,
    eta: np.ndarray,
    phi: np.ndarray,
    hadron: np.ndarray,
    r: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Class of each jet (-1 = not usable) and the matched hard parton's PDG id (0 = none)."""
    n = len(eta)
    parton = np.zeros(n, dtype=np.int32)
    if process == "flavour":
        return np.select([hadron == 5, hadron == 4], [0, 1], 2).astype(np.int32), parton
    if process == "top_qcd":
        if source.classes == (0,):
            return np.zeros(n, dtype=np.int32), parton
        cls = np.full(n, -1, dtype=np.int32)
        for top in event.tops:
            inside = (pj.delta_r(top[:, 0:1], top[:, 1:2], eta[None], phi[None]) < r).all(axis=0)
            cls[inside] = 1
            parton[inside] = 6
        return cls, parton
    partons = event.partons
    cls = np.full(n, -1, dtype=np.int32)
    if len(partons):
        dr = pj.delta_r(partons[:, 1:2], partons[:, 2:3], eta[None], phi[None])  # (k, jets)
        best = dr.argmin(axis=0)
        matched = dr[best, np.arange(n)] < r
        ids = partons[best, 0].astype(np.int32)
        cls = np.where(matched, np.where(ids == 21, 0, 1), -1).astype(np.int32)
        parton = np.where(matched, ids, 0).astype(np.int32)
    return cls, parton


#: most events per ``nextBatch`` call
BATCH_EVENTS = 32


class _Charges:
    """PDG ids -> charges from Pythia's particle data (cached per id)."""

    def __init__(self, pythia: Any) -> None:
        self.data = pythia.particleData
        self.cache: dict[int, float] = {}

    def __call__(self, pid: np.ndarray) -> np.ndarray:
        ids, inverse = np.unique(pid.astype(np.int64), return_inverse=True)
        values = [self.cache.setdefault(int(i), float(self.data.charge(int(i)))) for i in ids]
        return np.asarray(values, dtype=np.float64)[inverse]


def pythia_seed(seed: int, split: int, chunk: int, source: int) -> int:
    """Pythia's seed (1 ... 900 000 000) of one source in one chunk of one split."""
    state = np.random.SeedSequence([int(seed), int(split), int(chunk), int(source)]).generate_state(1)
    return int(state[0]) % 899_999_999 + 1


def _quotas(num_jets: int, num_classes: int) -> np.ndarray:
    q = np.full(num_classes, num_jets // num_classes, dtype=np.int64)
    q[: num_jets % num_classes] += 1
    return q


def generate(
    options: Options,
    num_jets: int,
    seed: int,
    split: int = 0,
    chunk: int = 0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Generate one chunk of ``num_jets`` class-balanced jets of one process.

    Each call initialises its own Pythia instances, seeded from ``(seed, split, chunk, source)``,
    and its own smearing generator, so a chunk's jets depend on nothing else (any number of
    worker processes gives the same files).

    Parameters
    ----------
    options
        Process and jet options.
    num_jets
        Jets to return (classes balanced: ``num_jets / classes`` each, remainder to the first).
    seed
        Base seed.
    split, chunk
        Split index (0 train, 1 val, 2 test) and chunk index within it, for independent seeds.
    progress
        Called with the number of jets accepted after each event.

    Returns
    -------
    dict[str, np.ndarray]
        ``{"jets": (num_jets,), "particles": (num_jets, num_constituents)}``.
    """
    proc, r, pt_lo, pt_hi, eta_max, slots = options.resolved()
    need = _quotas(int(num_jets), len(proc.class_names))
    rng = np.random.default_rng([int(seed), int(split), int(chunk), 7])
    pythias: list[Any] = []
    if num_jets > 0:
        pythias = [
            _pythia(s, pythia_seed(seed, split, chunk, k), pt_lo, pt_hi, options.mpi)
            for k, s in enumerate(proc.sources)
        ]
    charges = [_Charges(p) for p in pythias]
    jets: list[np.ndarray] = []
    parts: list[np.ndarray] = []
    events, max_events = 0, 500 * int(num_jets) + 1000
    number = (int(split) * 10_000 + int(chunk)) * 10**8  # eventNumber of the chunk's first event - 1
    while need.sum() > 0:
        if events >= max_events:
            msg = (
                f"{proc.name}: {events} events gave too few jets for the classes still missing "
                f"{dict(zip(proc.class_names, need.tolist(), strict=True))}; widen the pt window or the |eta| cut."
            )
            raise DataError(msg)
        k = int(np.argmax([need[list(s.classes)].sum() for s in proc.sources]))
        source = proc.sources[k]
        size = int(min(BATCH_EVENTS, max(4, need.sum())))
        batch = pb.batch_events(pythias[k].nextBatch(size), r, 0.8 * pt_lo, charges[k])
        events += size
        for event in batch:
            number += 1
            if need.sum() == 0:
                break
            for rec, cons in _accept(
                event, source, proc, (pt_lo, pt_hi, eta_max), r, need, number, slots, rng
            ):
                jets.append(rec)
                parts.append(cons)
        if progress is not None:
            progress(len(jets))
    log.debug(f"{proc.name} split {split} chunk {chunk}: {len(jets)} jets from {events} events")
    return {
        "jets": np.concatenate(jets) if jets else np.zeros(0, JET_DTYPE),
        "particles": np.concatenate(parts) if parts else np.zeros((0, slots), pj.PARTICLE_DTYPE),
    }


def _accept(
    event: pb.EventJets,
    source: Source,
    proc: Process,
    window: tuple[float, float, float],
    r: float,
    need: np.ndarray,
    number: int,
    slots: int,
    rng: np.random.Generator,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(jet record, constituent records) of the event's jets that fill a missing class (``need`` -= 1)."""
    pt_lo, pt_hi, eta_max = window
    found = event.jets[: proc.jets_per_event]
    if not found:
        return []
    p4 = np.stack([j[0] for j in found])
    pt, eta, phi, mass = pj.kinematics(p4)
    keep = (pt >= pt_lo) & (pt <= pt_hi) & (np.abs(eta) <= eta_max)
    hadron = pj.hadron_labels(eta, phi, event.hadrons)
    cls, parton = _labels(proc.name, source, event, eta, phi, hadron, r)
    out = []
    for i in np.flatnonzero(keep & (cls >= 0)):
        c = int(cls[i])
        if need[c] == 0:
            continue
        need[c] -= 1
        rec = np.zeros(1, dtype=JET_DTYPE)
        rec["pt"], rec["eta"], rec["phi"], rec["mass"], rec["energy"] = (
            pt[i],
            eta[i],
            phi[i],
            mass[i],
            p4[i, 3],
        )
        rec["n_constituents"] = len(found[i][1])
        rec["label"] = c
        rec["is_top"] = c if proc.name == "top_qcd" else -1
        rec["is_quark"] = c if proc.name == "quark_gluon" else -1
        rec["HadronConeExclTruthLabelID"] = hadron[i]
        rec["flavour_label"] = {5: 0, 4: 1}.get(int(hadron[i]), 2)
        rec["parton_id"] = parton[i]
        rec["eventNumber"] = number
        cons = pj.constituent_records(event.particles, found[i][1], eta[i], phi[i], slots, rng)
        out.append((rec, cons[None]))
    return out
