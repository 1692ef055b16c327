"""Synthetic point-cloud samples for event models, written in salt's HDF5 layout.

Two samples, each a global dataset ``(N,)`` plus a constituent dataset ``(N, slots)``
with a ``valid`` field (valid entries first):

``events`` + ``hits``
    A neutrino-detector-like sample: an interaction vertex, an optional muon track,
    charged pions, protons and electromagnetic showers leave hits with 2D coordinates
    ``(x, z)``, an energy deposit and a PID category. Targets: ``available_energy``
    (GeV, the energy of all final-state particles except muons and neutrinos) for
    regression and ``pion_class`` (number of charged pions: 0, 1, 2+) for classification.
``jets`` + ``particles``
    Particle-level large-radius jets, top (three-prong, ``m ~ 173 GeV`` with a
    ``W ~ 80 GeV`` pair) versus QCD (one hard prong with soft collinear radiation),
    with constituent four-momenta. Target: ``is_top``.

Fully vectorised; the same seed gives identical arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from halite.io import atomic_path

PID_NAMES = ["muon", "pion", "proton", "em", "other"]
PION_CLASSES = ["0pi", "1pi", "2pi+"]
JET_CLASSES = ["QCD", "top"]

EVENT_DTYPE = np.dtype(
    [
        ("available_energy", "f4"),
        ("nu_energy", "f4"),
        ("n_charged_pions", "i4"),
        ("pion_class", "i4"),
        ("total_deposit", "f4"),
        ("n_hits", "i4"),
        ("vertex_x", "f4"),
        ("vertex_z", "f4"),
        ("muon_length", "f4"),
        ("sample_weight", "f4"),
    ]
)
HIT_DTYPE = np.dtype(
    [
        ("valid", "?"),
        ("x", "f4"),
        ("z", "f4"),
        ("energy", "f4"),
        ("log_energy", "f4"),
        ("pid", "i4"),
        ("dist", "f4"),
    ]
)
PJET_DTYPE = np.dtype(
    [
        ("pt", "f4"),
        ("eta", "f4"),
        ("phi", "f4"),
        ("mass", "f4"),
        ("energy", "f4"),
        ("n_particles", "i4"),
        ("is_top", "i4"),
    ]
)
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
        ("log_pt", "f4"),
        ("log_energy", "f4"),
        ("log_pt_rel", "f4"),
        ("log_energy_rel", "f4"),
        ("dR", "f4"),
        ("charge", "f4"),
        ("pid", "i4"),
    ]
)


def _pack(values: dict[str, np.ndarray], valid: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Structured constituent array: valid entries first (stable), padding zeroed."""
    order = np.argsort(~valid, axis=1, kind="stable")
    out = np.zeros(valid.shape, dtype=dtype)
    v = np.take_along_axis(valid, order, 1)
    out["valid"] = v
    for name, arr in values.items():
        out[name] = np.where(v, np.take_along_axis(arr, order, 1), 0)
    return out


def generate_events(num: int, seed: int, num_hits: int = 64) -> dict[str, np.ndarray]:
    """Neutrino-detector-like events: ``{"events": (num,), "hits": (num, num_hits)}``."""
    rng = np.random.default_rng([seed, 11])
    n = int(num)
    e_nu = rng.gamma(3.0, 1.2, n) + 0.5  # GeV
    has_mu = rng.random(n) < 0.7  # charged-current fraction
    y = rng.beta(1.2, 2.0, n)  # inelasticity: hadronic share
    e_mu = np.where(has_mu, e_nu * (1 - y), 0.0)
    e_had = e_nu - e_mu
    n_pi = np.minimum(rng.poisson(0.35 + 0.45 * e_had), 3)
    # hadronic energy shared among pions, protons and EM showers (Dirichlet fractions)
    frac = rng.dirichlet([2.0, 1.0, 1.0], n)
    has_p = rng.random(n) < 0.6
    frac[:, 1] *= has_p
    frac[:, 0] *= n_pi > 0
    frac /= np.clip(frac.sum(1, keepdims=True), 1e-9, None)
    invisible = rng.uniform(0.0, 0.15, n)  # neutrons etc.
    e_vis = e_had * (1 - invisible)
    available = e_vis.copy()
    # particles: 0 muon, 1..3 pions, 4 proton, 5..6 EM showers -> up to 7 sources per event
    src_e = np.zeros((n, 7))
    src_e[:, 0] = e_mu
    pion_share = frac[:, 0:1] * e_vis[:, None] / np.maximum(n_pi, 1)[:, None]
    src_e[:, 1:4] = np.where(np.arange(3)[None] < n_pi[:, None], pion_share, 0.0)
    src_e[:, 4] = frac[:, 1] * e_vis
    em_split = rng.uniform(0.3, 0.7, n)
    src_e[:, 5] = frac[:, 2] * e_vis * em_split
    src_e[:, 6] = frac[:, 2] * e_vis * (1 - em_split)
    src_pid = np.array([0, 1, 1, 1, 2, 3, 3])
    present = src_e > 0.02
    # hits per source: tracks ~ length, showers ~ energy
    per_gev = np.array([6.0, 5.0, 5.0, 5.0, 3.0, 7.0, 7.0])
    n_src_hits = np.where(present, np.minimum(rng.poisson(2 + per_gev * np.sqrt(src_e)), 20), 0)
    max_per = 20
    k = np.arange(max_per)[None, None, :]
    hit_ok = k < n_src_hits[..., None]
    vx, vz = rng.uniform(-50, 50, n), rng.uniform(0, 200, n)
    angle = rng.normal(0.0, np.where(np.arange(7) == 0, 0.3, 0.8)[None], (n, 7))  # along beam (z)
    step = np.where(src_pid[None] == 3, 2.0, 4.0) * rng.uniform(0.8, 1.2, (n, 7))
    t = (k + 0.5) * step[..., None]
    spread = np.where(src_pid[None, :, None] == 3, 1.5 + 0.1 * t, 0.3)
    x = vx[:, None, None] + t * np.sin(angle)[..., None] + rng.normal(0, 1, (n, 7, max_per)) * spread
    z = vz[:, None, None] + t * np.cos(angle)[..., None] + rng.normal(0, 1, (n, 7, max_per)) * spread
    dep_mean = src_e[..., None] / np.maximum(n_src_hits, 1)[..., None]
    energy = (
        dep_mean * rng.gamma(4.0, 0.25, (n, 7, max_per)) * np.where(src_pid[None, :, None] == 0, 0.3, 1.0)
    )
    pid = np.broadcast_to(src_pid[None, :, None], (n, 7, max_per)).copy()
    mis = rng.random((n, 7, max_per)) < 0.05  # PID mistakes
    pid[mis] = 4
    # noise hits
    noise = rng.random((n, 1, max_per)) < 0.05
    flat = lambda a: a.reshape(n, -1)  # noqa: E731
    valid = np.concatenate([flat(hit_ok), flat(noise)], 1)
    xs = np.concatenate([flat(x), vx[:, None] + rng.normal(0, 80, (n, max_per))], 1)
    zs = np.concatenate([flat(z), vz[:, None] + rng.normal(0, 80, (n, max_per))], 1)
    es = np.concatenate([flat(energy), rng.exponential(0.01, (n, max_per))], 1)
    ps = np.concatenate([flat(pid), np.full((n, max_per), 4)], 1)
    # keep the most energetic hits that fit
    key = np.where(valid, -es, np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :num_hits]
    valid = np.take_along_axis(valid, order, 1)
    values = {
        "x": np.take_along_axis(xs, order, 1),
        "z": np.take_along_axis(zs, order, 1),
        "energy": np.take_along_axis(es, order, 1),
        "pid": np.take_along_axis(ps, order, 1),
    }
    values["log_energy"] = np.log(np.clip(values["energy"], 1e-4, None))
    values["dist"] = np.hypot(values["x"] - vx[:, None], values["z"] - vz[:, None])
    hits = _pack(values, valid, HIT_DTYPE)
    events = np.zeros(n, dtype=EVENT_DTYPE)
    events["available_energy"] = available
    events["nu_energy"] = e_nu
    events["n_charged_pions"] = n_pi
    events["pion_class"] = np.minimum(n_pi, 2)
    events["total_deposit"] = np.where(hits["valid"], hits["energy"], 0).sum(1)
    events["n_hits"] = hits["valid"].sum(1)
    events["vertex_x"], events["vertex_z"] = vx, vz
    events["muon_length"] = np.where(has_mu, n_src_hits[:, 0] * step[:, 0], 0.0)
    events["sample_weight"] = 1.0
    return {"events": events, "hits": hits}


def _rotate_to(px: np.ndarray, py: np.ndarray, pz: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> tuple:
    """Rotate vectors given with the jet axis along +z onto the direction ``(eta, phi)``."""
    theta = 2 * np.arctan(np.exp(-eta))
    st, ct, sp, cp = np.sin(theta), np.cos(theta), np.sin(phi), np.cos(phi)
    # rotation about y by theta, then about z by phi
    x1, z1 = px * ct + pz * st, -px * st + pz * ct
    return x1 * cp - py * sp, x1 * sp + py * cp, z1


def _two_body(
    rng: np.random.Generator, m: np.ndarray, m1: np.ndarray, m2: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Isotropic two-body decay momenta in the parent rest frame: (p1 3-vector, E1, E2)."""
    p = np.sqrt(np.clip((m**2 - (m1 + m2) ** 2) * (m**2 - (m1 - m2) ** 2), 0, None)) / (2 * m)
    cos = rng.uniform(-1, 1, m.shape)
    ph = rng.uniform(0, 2 * np.pi, m.shape)
    sin = np.sqrt(1 - cos**2)
    p1 = np.stack([p * sin * np.cos(ph), p * sin * np.sin(ph), p * cos], -1)
    return p1, np.sqrt(p**2 + m1**2), np.sqrt(p**2 + m2**2)


def _boost(p: np.ndarray, e: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boost 3-momenta ``p (..., 3)`` and energies by velocity ``beta (..., 3)``."""
    b2 = np.clip((beta**2).sum(-1), 1e-12, 1 - 1e-12)
    gamma = 1 / np.sqrt(1 - b2)
    bp = (beta * p).sum(-1)
    coef = (gamma - 1) * bp / b2 + gamma * e
    return p + coef[..., None] * beta, gamma * (e + bp)


def generate_particle_jets(num: int, seed: int, num_particles: int = 64) -> dict[str, np.ndarray]:
    """Top vs QCD particle jets: ``{"jets": (num,), "particles": (num, num_particles)}``."""
    rng = np.random.default_rng([seed, 23])
    n = int(num)
    is_top = (rng.random(n) < 0.5).astype(np.int64)
    pt_j = rng.uniform(500.0, 650.0, n)
    eta_j = rng.uniform(-2.0, 2.0, n)
    phi_j = rng.uniform(-np.pi, np.pi, n)
    # prongs in the jet frame (axis along z): top -> b W(qq); QCD -> hard parton + gluon splittings
    zero = np.zeros(n)
    mt, mw = rng.normal(173.0, 3.0, n), rng.normal(80.4, 2.0, n)
    pb, eb, ew = _two_body(rng, mt, zero + 4.8, mw)
    pq, eq1, eq2 = _two_body(rng, mw, zero, zero)
    bw = -pb / ew[:, None]
    pq1, eq1l = _boost(pq, eq1, bw)
    pq2, eq2l = _boost(-pq, eq2, bw)
    top_p = np.stack([pb, pq1, pq2], 1)
    top_e = np.stack([eb, eq1l, eq2l], 1)
    # QCD: a parent of small mass decays into a hard and softer parton, plus a soft third prong
    mq = 10 + rng.exponential(25.0, n)
    pa, ea, eb2 = _two_body(rng, mq, zero, zero)
    soft = rng.uniform(0.02, 0.08, n)
    qcd_p = np.stack([pa, -pa, np.zeros((n, 3))], 1)
    qcd_e = np.stack([ea, eb2, np.zeros(n)], 1)
    m_parent = np.where(is_top == 1, mt, mq)
    p_rest = np.where(is_top[:, None, None] == 1, top_p, qcd_p)
    e_rest = np.where(is_top[:, None] == 1, top_e, qcd_e)
    e_jet = np.sqrt(pt_j**2 * np.cosh(eta_j) ** 2 + m_parent**2)
    beta = np.zeros((n, 3))
    beta[:, 2] = np.sqrt(1 - (m_parent / e_jet) ** 2)
    prong_p, prong_e = _boost(p_rest, e_rest, beta[:, None, :])
    # QCD third prong: soft wide-angle gluon
    ang = rng.uniform(0.1, 0.6, n)
    gphi = rng.uniform(0, 2 * np.pi, n)
    ge = soft * e_jet
    qcd3 = np.stack([ge * np.sin(ang) * np.cos(gphi), ge * np.sin(ang) * np.sin(gphi), ge * np.cos(ang)], -1)
    prong_p[:, 2] = np.where(is_top[:, None] == 1, prong_p[:, 2], qcd3)
    prong_e[:, 2] = np.where(is_top == 1, prong_e[:, 2], ge)
    # fragment each prong into particles (Dirichlet momentum fractions, collinear smearing)
    per = 24
    n_frag = np.clip(rng.poisson(3 + 2.5 * np.log1p(prong_e / 10.0)), 1, per)
    k = np.arange(per)[None, None]
    ok = k < n_frag[..., None]
    w = rng.gamma(0.6, 1.0, (n, 3, per)) * ok
    w /= np.clip(w.sum(-1, keepdims=True), 1e-12, None)
    e_part = w * prong_e[..., None]
    direction = prong_p / np.clip(np.linalg.norm(prong_p, axis=-1, keepdims=True), 1e-9, None)
    smear = rng.normal(0, 1, (n, 3, per, 3)) * (0.02 / np.sqrt(np.clip(w, 1e-3, None)))[..., None] * 0.3
    d = direction[:, :, None, :] + smear
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    p3 = d * e_part[..., None]
    px, py, pz = _rotate_to(p3[..., 0], p3[..., 1], p3[..., 2], eta_j[:, None, None], phi_j[:, None, None])
    flat = lambda a: a.reshape(n, -1)  # noqa: E731
    px, py, pz, e, valid = flat(px), flat(py), flat(pz), flat(e_part), flat(ok) & (flat(e_part) > 0.5)
    pt = np.hypot(px, py)
    order = np.argsort(np.where(valid, -pt, np.inf), axis=1, kind="stable")[:, :num_particles]
    take = lambda a: np.take_along_axis(a, order, 1)  # noqa: E731
    px, py, pz, e, pt, valid = map(take, (px, py, pz, e, pt, valid))
    pt_safe = np.clip(pt, 1e-6, None)
    eta = np.arcsinh(pz / pt_safe)
    phi = np.arctan2(py, px)
    jpx, jpy, jpz, je = (np.where(valid, a, 0).sum(1) for a in (px, py, pz, e))
    jpt = np.hypot(jpx, jpy)
    jeta, jphi = np.arcsinh(jpz / np.clip(jpt, 1e-6, None)), np.arctan2(jpy, jpx)
    jm = np.sqrt(np.clip(je**2 - jpx**2 - jpy**2 - jpz**2, 0, None))
    deta = eta - jeta[:, None]
    dphi = (phi - jphi[:, None] + np.pi) % (2 * np.pi) - np.pi
    charge = np.where(rng.random(pt.shape) < 0.6, rng.choice([-1.0, 1.0], pt.shape), 0.0)
    pid = np.where(charge != 0, 1, np.where(rng.random(pt.shape) < 0.7, 0, 2))
    values = {
        "px": px, "py": py, "pz": pz, "energy": e, "pt": pt, "eta": eta, "phi": phi, "deta": deta, "dphi": dphi,
        "log_pt": np.log(pt_safe), "log_energy": np.log(np.clip(e, 1e-6, None)),
        "log_pt_rel": np.log(pt_safe / jpt[:, None]), "log_energy_rel": np.log(np.clip(e, 1e-6, None) / je[:, None]),
        "dR": np.hypot(deta, dphi), "charge": charge, "pid": pid,
    }  # fmt: skip
    particles = _pack(values, valid, PARTICLE_DTYPE)
    jets = np.zeros(n, dtype=PJET_DTYPE)
    jets["pt"], jets["eta"], jets["phi"], jets["mass"], jets["energy"] = jpt, jeta, jphi, jm, je
    jets["n_particles"] = particles["valid"].sum(1)
    jets["is_top"] = is_top
    return {"jets": jets, "particles": particles}


SAMPLES: dict[str, tuple[Callable[..., dict[str, np.ndarray]], str, str, dict[str, list[str]]]] = {
    "events": (generate_events, "events", "hits", {"events/pion_class": PION_CLASSES, "hits/pid": PID_NAMES}),
    "jets": (generate_particle_jets, "jets", "particles", {"jets/is_top": JET_CLASSES}),
}


def write_sample(path: Path, sample: str, num: int, seed: int, slots: int, chunk: int = 100_000) -> Path:
    """Write one file of ``sample`` in chunks (atomically)."""
    gen, glob, cons, attrs = SAMPLES[sample]
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for i, start in enumerate(range(0, num, chunk)):
            data = gen(min(chunk, num - start), seed * 1000 + i, slots)
            if i == 0:
                g = f.create_dataset(glob, shape=(num,), dtype=data[glob].dtype)
                c = f.create_dataset(cons, shape=(num, slots), dtype=data[cons].dtype)
            g[start : start + len(data[glob])] = data[glob]
            c[start : start + len(data[glob])] = data[cons]
        for key, names in attrs.items():
            ds, label = key.split("/")
            f[ds].attrs[label] = names
    return path


def write_sample_splits(
    out_dir: Path, sample: str, num_train: int, num_val: int, num_test: int, seed: int = 42, slots: int = 64
) -> dict[str, Path]:
    """``train.h5``, ``val.h5``, ``test.h5`` of ``sample`` in ``out_dir``."""
    out_dir = Path(out_dir)
    sizes = {"train": num_train, "val": num_val, "test": num_test}
    return {
        s: write_sample(out_dir / f"{s}.h5", sample, n, seed + i, slots)
        for i, (s, n) in enumerate(sizes.items())
    }
