"""The mixed pretraining sample of ``halite pretrain``: several jet samples, one class per (source, label).

Sources are the synthetic top/QCD jets of ``halite synth-points --sample jets``
(:mod:`halite.data.synthetic_points`) and the ``halite synth-pythia`` processes (``top_qcd``,
``quark_gluon``, ``flavour``; :mod:`halite.data.pythia`). Each source's ``train.h5`` / ``val.h5``
(generated when missing) is read, and every (source, label) pair becomes one pretraining class
(``synth_jets_QCD``, ``top_qcd_top``, ``flavour_bjets`` ...).

The sources store different constituent fields (the synthetic jets store ``log_pt``, ``dR`` ...;
Pythia's store four-momenta only), so the mixer computes every derived input from the same raw
fields for all sources: ``log_pt = log(pt)``, ``log_energy = log(energy)``, ``log_pt_rel =
log(pt / jet pt)``, ``log_energy_rel = log(energy / jet energy)``, ``dR = hypot(deta, dphi)`` (the
expressions of ``configs/pythia_top_qcd.yaml``'s ``data.new_variables``). Particle ids are put on
one coarse scale: 0 photon / neutral electromagnetic, 1 charged, 2 neutral hadron (the synthetic
jets' scale; Pythia's PDG ids are mapped onto it). Only the variables the PET2 config reads are
written. Classes are balanced (each class keeps as many jets as the smallest has) and shuffled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from halite.errors import ConfigError
from halite.io import atomic_path

log = logging.getLogger(__name__)

#: source name -> (kind, generator argument, label field, class names)
SOURCES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "synth_jets": ("synthetic", "jets", "is_top", ("QCD", "top")),
    "top_qcd": ("pythia", "top_qcd", "label", ("QCD", "top")),
    "quark_gluon": ("pythia", "quark_gluon", "label", ("gluon", "quark")),
    "flavour": ("pythia", "flavour", "label", ("bjets", "cjets", "ujets")),
}
#: jet fields the mixed sample can hold, and constituent fields
JET_FIELDS = ("pt", "eta", "phi", "mass", "energy")
PARTICLE_FIELDS = ("deta", "dphi", "log_pt", "log_energy", "log_pt_rel", "log_energy_rel", "dR",
                   "charge", "pid", "pt", "eta", "phi", "energy")  # fmt: skip
LABEL = "pretrain_label"
SPLITS = ("train", "val")


@dataclass(frozen=True)
class MixedSample:
    """The files of a mixed sample and its classes (name -> jets per split)."""

    files: dict[str, Path]
    classes: list[str]
    counts: dict[str, dict[str, int]]


def source_dir(data_dir: Path, source: str) -> Path:
    """Where a source's ``train.h5`` / ``val.h5`` live."""
    return Path(data_dir) / source


def ensure_source(
    data_dir: Path,
    source: str,
    sizes: dict[str, int],
    seed: int,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> Path:
    """Generate ``source``'s train/val files under ``data_dir/source`` when they are missing.

    ``workers`` processes generate a Pythia source's chunks (``halite synth-pythia --workers``).
    """
    if source not in SOURCES:
        msg = f"Unknown pretraining source '{source}'; choose from {sorted(SOURCES)}."
        raise ConfigError(msg)
    out = source_dir(data_dir, source)
    if all((out / f"{s}.h5").is_file() for s in SPLITS):
        return out
    kind, what, _, _ = SOURCES[source]
    say = progress or (lambda _m: None)
    say(f"generating {source} ({sizes['train']} train + {sizes['val']} val jets) in {out} ...")
    if kind == "synthetic":
        from halite.data.synthetic_points import write_sample

        out.mkdir(parents=True, exist_ok=True)
        for i, s in enumerate(SPLITS):
            write_sample(out / f"{s}.h5", what, sizes[s], seed + i, 64)
    else:
        from halite.data.pythia import Options
        from halite.data.pythia_files import write_splits

        total = sizes["train"] + sizes["val"]
        step = max(100, total // 10)
        shown = [0]

        def report(n: int) -> None:  # called per event: print every ``step`` jets
            if n // step > shown[0] or n >= total > shown[0] * step:
                shown[0] = n // step if n < total else total
                say(f"  {source}: {min(n, total)}/{total} jets")

        write_splits(
            out,
            Options(what),
            {s: sizes[s] for s in SPLITS},
            seed=seed,
            chunk_size=500,
            progress=report,
            workers=workers,
        )
    return out


def _pid_scale(pid: np.ndarray, charge: np.ndarray, kind: str) -> np.ndarray:
    if kind == "synthetic":
        return pid.astype(np.int32)
    a = np.abs(pid)
    return np.where(charge != 0, 1, np.where(a == 22, 0, 2)).astype(np.int32)


def read_source(path: Path, source: str, slots: int) -> dict[str, np.ndarray]:
    """Jets, constituents (``slots`` per jet, the mixer's fields) and labels of one source file."""
    kind, _, label_field, names = SOURCES[source]
    with h5py.File(path, "r") as f:
        jets, parts = f["jets"][:], f["particles"][:, :slots]
    if parts.shape[1] < slots:
        pad = np.zeros((len(parts), slots - parts.shape[1]), parts.dtype)
        parts = np.concatenate([parts, pad], 1)
    valid = parts["valid"].astype(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        pt = np.where(valid, parts["pt"], 1.0).astype(np.float64)
        e = np.where(valid, parts["energy"], 1.0).astype(np.float64)
        jpt, je = jets["pt"].astype(np.float64)[:, None], jets["energy"].astype(np.float64)[:, None]
        derived = {
            "log_pt": np.log(pt), "log_energy": np.log(e), "log_pt_rel": np.log(pt / jpt),
            "log_energy_rel": np.log(e / je), "dR": np.hypot(parts["deta"], parts["dphi"]),
        }  # fmt: skip
    cons = {k: parts[k] for k in ("deta", "dphi", "charge", "pt", "eta", "phi", "energy")}
    cons.update(derived)
    cons["pid"] = _pid_scale(parts["pid"], parts["charge"], kind)
    cons = {k: np.where(valid, v, 0).astype(np.int32 if k == "pid" else np.float32) for k, v in cons.items()}
    labels = jets[label_field].astype(np.int64)
    bad = (labels < 0) | (labels >= len(names))
    if bad.any():
        log.info(
            "%s: %d jets without a %s label in 0..%d dropped",
            path,
            int(bad.sum()),
            label_field,
            len(names) - 1,
        )
    keep = ~bad
    return {
        "jets": {k: jets[k][keep].astype(np.float32) for k in JET_FIELDS},
        "particles": {k: v[keep] for k, v in cons.items()},
        "valid": valid[keep],
        "label": labels[keep],
    }


def class_names(sources: list[str]) -> list[str]:
    """The pretraining classes of ``sources``, in order: ``<source>_<class>``."""
    return [f"{s}_{n}" for s in sources for n in SOURCES[s][3]]


def check_variables(variables: dict[str, list[str]]) -> None:
    """Raise ``ConfigError`` when the config asks for a variable the mixer does not write."""
    allowed = {"jets": set(JET_FIELDS), "particles": set(PARTICLE_FIELDS)}
    for stream, names in variables.items():
        unknown = sorted(set(names) - allowed.get(stream, set()))
        if unknown:
            msg = (f"The pretraining config's data.variables.{stream} has {unknown}, which the mixed sample "
                   f"does not hold; use variables of jets {list(JET_FIELDS)} and particles {list(PARTICLE_FIELDS)}.")  # fmt: skip
            raise ConfigError(msg)


def _mix_split(
    data_dir: Path, sources: list[str], split: str, variables: dict[str, list[str]], slots: int,
    max_per_class: int | None, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:  # fmt: skip
    names = class_names(sources)
    picked: list[dict[str, np.ndarray]] = []
    offset = 0
    for s in sources:
        d = read_source(source_dir(data_dir, s) / f"{split}.h5", s, slots)
        d["label"] = d["label"] + offset
        offset += len(SOURCES[s][3])
        picked.append(d)
    labels = np.concatenate([d["label"] for d in picked])
    counts = np.bincount(labels, minlength=len(names))
    if counts.min() == 0:
        empty = [n for n, c in zip(names, counts, strict=True) if c == 0]
        msg = (
            f"Pretraining classes {empty} have no {split} jets in {data_dir}; generate more jets per source."
        )
        raise ConfigError(msg)
    per_class = int(counts.min()) if max_per_class is None else min(int(counts.min()), max_per_class)
    index = np.concatenate(
        [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in range(len(names))]
    )
    index = rng.permutation(index)
    jet_vars = sorted(set(variables.get("jets", [])) | {"pt", "energy"})
    part_vars = list(dict.fromkeys(variables.get("particles", [])))
    jets = np.zeros(
        len(index), np.dtype([(k, "f4") for k in jet_vars] + [(LABEL, "i4"), ("n_constituents", "i4")])
    )
    pdt = np.dtype([("valid", "?")] + [(k, "i4" if k == "pid" else "f4") for k in part_vars])
    parts = np.zeros((len(index), slots), pdt)
    for k in jet_vars:
        jets[k] = np.concatenate([d["jets"][k] for d in picked])[index]
    jets[LABEL] = labels[index]
    valid = np.concatenate([d["valid"] for d in picked])[index]
    jets["n_constituents"] = valid.sum(1)
    parts["valid"] = valid
    for k in part_vars:
        parts[k] = np.concatenate([d["particles"][k] for d in picked])[index]
    return jets, parts, {n: per_class for n in names}


def write_mixed(
    data_dir: Path, out_dir: Path, sources: list[str], variables: dict[str, list[str]], slots: int = 64,
    max_per_class: int | None = None, seed: int = 42,
) -> MixedSample:  # fmt: skip
    """Write the balanced mixed ``train.h5`` / ``val.h5`` of ``sources`` into ``out_dir`` (atomically).

    Parameters
    ----------
    data_dir
        Folder holding one sub-folder per source (see :func:`ensure_source`).
    out_dir
        Where the mixed files go.
    sources
        Source names (keys of :data:`SOURCES`).
    variables
        The PET2 config's ``data.variables`` (``jets``, ``particles``): the fields written.
    slots
        Constituent slots per jet (longer jets are cut, shorter ones padded).
    max_per_class
        Jets per class and split at most (default: the smallest class's count).
    seed
        Shuffling seed.
    """
    check_variables(variables)
    rng = np.random.default_rng(seed)
    names = class_names(sources)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files, counts = {}, {}
    for split in SPLITS:
        jets, parts, counts[split] = _mix_split(
            data_dir, sources, split, variables, slots, max_per_class, rng
        )
        path = out / f"{split}.h5"
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
            f.create_dataset("jets", data=jets)
            f.create_dataset("particles", data=parts)
            f["jets"].attrs[LABEL] = names
            f.attrs["sources"] = sources
        files[split] = path
    return MixedSample(files, names, {n: {s: counts[s][n] for s in SPLITS} for n in names})
