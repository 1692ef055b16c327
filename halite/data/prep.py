"""Normalisation and class-weight dictionaries in salt / UPP format.

``halite prep`` (``halite.commands.prep``) streams once over a training file and writes

* a *norm dict* ``{stream: {variable: {"mean": m, "std": s}}}`` computed over
  valid entries only (constituent streams are masked by their ``valid`` field),
* a *class dict* ``{stream: {label: [w0, w1, ...]}}`` with the UPP weights
  ``sum(counts) / counts`` normalised so that the smallest weight is 1.

Both files are plain YAML and interchangeable with the ones salt and UPP write,
so existing dicts can be used unchanged (they are loaded and checked by
:mod:`halite.data.dicts`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np

from halite.data.derived import DerivedReader, compile_new_variables
from halite.errors import DataError, DataFileNotFound

__all__ = [
    "DEFAULT_LABELS",
    "DEFAULT_VARIABLES",
    "compute_class_dict",
    "compute_norm_dict",
]

#: GN2 default inputs: stream -> variables
DEFAULT_VARIABLES: dict[str, list[str]] = {
    "jets": ["pt_btagJes", "eta_btagJes"],
    "tracks": [
        "d0",
        "z0SinTheta",
        "dphi",
        "deta",
        "qOverP",
        "IP3D_signed_d0_significance",
        "IP3D_signed_z0_significance",
        "phiUncertainty",
        "thetaUncertainty",
        "qOverPUncertainty",
        "numberOfPixelHits",
        "numberOfSCTHits",
        "numberOfInnermostPixelLayerHits",
        "numberOfNextToInnermostPixelLayerHits",
        "numberOfInnermostPixelLayerSharedHits",
        "numberOfInnermostPixelLayerSplitHits",
        "numberOfPixelSharedHits",
        "numberOfPixelSplitHits",
        "numberOfSCTSharedHits",
        "leptonID",
    ],
}

#: default class labels for the class dict, as the ``--labels`` string
DEFAULT_LABELS = "jets:flavour_label,tracks:ftagTruthOriginLabel"

_VALID = "valid"


log = logging.getLogger(__name__)


def _warn(msg: str) -> None:
    log.warning(msg)


def _open(path: str | os.PathLike[str]) -> h5py.File:
    p = Path(path)
    if not p.is_file():
        msg = (
            f"Training file not found: {p}. Check --file / data.train_file "
            f"(run `halite synth` for demo data)."
        )
        raise DataFileNotFound(msg)
    try:
        return h5py.File(p, "r")
    except OSError as err:
        msg = (
            f"Cannot open {p} as an HDF5 file ({err}). Pass an HDF5 file written by the "
            f"training-dataset-dumper, UPP or `halite synth`."
        )
        raise DataError(msg) from err


def _dataset(f: h5py.File, stream: str, ds_name: str) -> h5py.Dataset:
    """Return the dataset for ``stream`` with errors naming file and dataset."""
    if ds_name not in f or not isinstance(f[ds_name], h5py.Dataset):
        available = sorted(k for k in f if isinstance(f[k], h5py.Dataset))
        mapped = f" (input_map: '{stream}' -> '{ds_name}')" if ds_name != stream else ""
        msg = (
            f"File {f.filename} has no dataset '{ds_name}' for stream '{stream}'{mapped}. "
            f"Available datasets: {available}. Fix data.variables / data.input_map."
        )
        raise DataError(msg)
    ds = f[ds_name]
    if ds.dtype.names is None or ds.ndim not in (1, 2):
        msg = (
            f"Dataset '{ds_name}' in {f.filename} is not a 1D/2D structured dataset "
            f"(shape {ds.shape}, dtype {ds.dtype}); salt-layout files store one structured "
            f"dataset per stream."
        )
        raise DataError(msg)
    return ds


def _check_fields(ds: h5py.Dataset, stream: str, names: list[str], what: str) -> None:
    fields = list(ds.dtype.names or ())
    missing = [n for n in names if n not in fields]
    if missing:
        msg = (
            f"Dataset '{ds.name.lstrip('/')}' (stream '{stream}') in {ds.file.filename} has no "
            f"{what} {missing}. Available fields: {fields}. Remove or rename it in your config."
        )
        raise DataError(msg)
    if ds.ndim == 2 and _VALID not in fields:
        msg = (
            f"Constituent dataset '{ds.name.lstrip('/')}' (stream '{stream}') in {ds.file.filename} has "
            f"no '{_VALID}' field to mask padding. Available fields: {fields}."
        )
        raise DataError(msg)


def _num_rows(ds: h5py.Dataset, num_jets: int | None) -> int:
    n = int(ds.shape[0])
    if num_jets is None or int(num_jets) < 0:
        return n
    if int(num_jets) > n:
        log.info(
            f"note: {ds.file.filename}/{ds.name.lstrip('/')} has {n} jets < num_jets={num_jets}; using all."
        )
    return min(int(num_jets), n)


def _blocks(n: int, block_size: int) -> range:
    if int(block_size) < 1:
        msg = f"block_size must be >= 1, got {block_size}."
        raise DataError(msg)
    return range(0, n, int(block_size))


def _read_block(
    ds: h5py.Dataset, names: list[str], start: int, stop: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read ``names`` (and the pad mask for 2D datasets) for jets ``start:stop``."""
    read = list(dict.fromkeys([*names, _VALID] if ds.ndim == 2 else names))
    block = ds.fields(read)[start:stop]
    mask = block[_VALID].astype(bool) if ds.ndim == 2 else None
    return block, mask


def compute_norm_dict(
    path: str | os.PathLike[str],
    variables: Mapping[str, list[str]],
    input_map: Mapping[str, str] | None = None,
    num_jets: int | None = None,
    block_size: int = 100_000,
    new_variables: Mapping[str, Mapping[str, str]] | None = None,
    global_object: str = "jets",
) -> dict[str, dict[str, dict[str, float]]]:
    """Compute per-variable mean and standard deviation over valid entries.

    The file is read in blocks of ``block_size`` jets, only the needed fields.
    Statistics are accumulated in float64 with a numerically stable merge of
    per-block (count, mean, sum of squared deviations), i.e. the population
    standard deviation (``ddof=0``) over all valid entries.

    Parameters
    ----------
    path
        HDF5 file in salt layout.
    variables
        Stream name -> variables, e.g. ``{"jets": [...], "tracks": [...]}``.
    input_map
        Stream name -> dataset name in the file (default: identity).
    num_jets
        Use only the first ``num_jets`` jets (``None`` or negative: all).
    block_size
        Jets read per step.
    new_variables
        Derived variables, stream -> name -> expression (``data.new_variables``,
        :mod:`halite.data.derived`), evaluated on each block before the statistics.
    global_object
        The stream whose fields the expressions of other streams read as ``<global_object>_<field>``.

    Returns
    -------
    dict[str, dict[str, dict[str, float]]]
        ``{stream: {var: {"mean": float, "std": float}}}``. A zero standard
        deviation is replaced by 1 (with a warning).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a missing dataset or variable, a stream without valid entries, or
        non-finite values (the message names file, stream, variable and count).
    """
    input_map = dict(input_map or {})
    used = {k: v for k, v in (new_variables or {}).items() if k in variables}  # e.g. prep --variables
    expressions = compile_new_variables(used, variables)
    result: dict[str, dict[str, dict[str, float]]] = {}
    with _open(path) as f:
        for stream, names in variables.items():
            names = list(names)
            ds = _dataset(f, stream, input_map.get(stream, stream))
            derived = DerivedReader(
                f, stream, ds, names, expressions.get(stream, {}), input_map, global_object
            )
            _check_fields(ds, stream, derived.file_fields, "variable(s)")
            n_rows = _num_rows(ds, num_jets)
            count = np.zeros(len(names), dtype=np.int64)
            mean = np.zeros(len(names), dtype=np.float64)
            m2 = np.zeros(len(names), dtype=np.float64)
            bad = np.zeros(len(names), dtype=np.int64)
            for start in _blocks(n_rows, block_size):
                stop = min(start + block_size, n_rows)
                block, mask = derived.read(start, stop) if derived else _read_block(ds, names, start, stop)
                for i, var in enumerate(names):
                    x = np.asarray(block[var]) if mask is None else np.asarray(block[var])[mask]
                    x = x.astype(np.float64, copy=False).ravel()
                    finite = np.isfinite(x)
                    if not finite.all():
                        bad[i] += int(x.size - finite.sum())
                        x = x[finite]
                    n_b = x.size
                    if n_b == 0:
                        continue
                    mean_b = float(x.mean())
                    m2_b = float(np.square(x - mean_b).sum())
                    n_a = count[i]
                    n = n_a + n_b
                    delta = mean_b - mean[i]
                    mean[i] += delta * n_b / n
                    m2[i] += m2_b + delta * delta * n_a * n_b / n
                    count[i] = n
            if bad.any():
                offenders = ", ".join(
                    f"'{v}' ({int(c)} values)" for v, c in zip(names, bad, strict=True) if c
                )
                msg = (
                    f"Non-finite (NaN/inf) values in {Path(path)}, dataset '{ds.name.lstrip('/')}' "
                    f"(stream '{stream}'): {offenders}. Fix the file or drop these variables from "
                    f"data.variables."
                )
                raise DataError(msg)
            stats: dict[str, dict[str, float]] = {}
            for i, var in enumerate(names):
                if count[i] == 0:
                    msg = (
                        f"No valid entries for variable '{var}' of stream '{stream}' in {Path(path)} "
                        f"(first {n_rows} jets). Use more jets (--num-jets) or check the '{_VALID}' field."
                    )
                    raise DataError(msg)
                std = float(np.sqrt(m2[i] / count[i]))
                if std == 0.0:
                    _warn(f"variable '{var}' of stream '{stream}' is constant in {Path(path)}; using std=1.")
                    std = 1.0
                stats[var] = {"mean": float(mean[i]), "std": std}
            result[stream] = stats
    return result


def _num_classes(
    ds: h5py.Dataset, label: str, num_classes: Mapping[str, int] | None, stream: str
) -> int | None:
    if num_classes is not None:
        for key in (f"{stream}.{label}", label):
            if key in num_classes:
                return int(num_classes[key])
    names = ds.attrs.get(label)
    if names is not None and np.ndim(names) == 1 and len(names) > 0:
        return len(names)
    return None


def compute_class_dict(
    path: str | os.PathLike[str],
    labels: Mapping[str, list[str]],
    input_map: Mapping[str, str] | None = None,
    num_jets: int | None = None,
    block_size: int = 100_000,
    num_classes: Mapping[str, int] | None = None,
) -> dict[str, dict[str, list[float]]]:
    """Compute UPP class weights for integer class labels.

    Counts each class over valid entries (negative label values are ignored)
    and returns ``w_k = sum(counts) / counts_k`` normalised so that the
    smallest weight is 1. Classes that never occur get the largest weight of
    the others, with a warning.

    Parameters
    ----------
    path
        HDF5 file in salt layout.
    labels
        Stream name -> class labels, e.g. ``{"jets": ["flavour_label"]}``.
    input_map
        Stream name -> dataset name in the file (default: identity).
    num_jets
        Use only the first ``num_jets`` jets (``None`` or negative: all).
    block_size
        Jets read per step.
    num_classes
        Number of classes per label, keyed by ``"label"`` or ``"stream.label"``.
        Default: the length of the dataset attribute named like the label
        (salt stores class names there), else ``max(label) + 1``.

    Returns
    -------
    dict[str, dict[str, list[float]]]
        ``{stream: {label: [w0, w1, ...]}}``.
    """
    input_map = dict(input_map or {})
    result: dict[str, dict[str, list[float]]] = {}
    with _open(path) as f:
        for stream, names in labels.items():
            names = list(names)
            ds = _dataset(f, stream, input_map.get(stream, stream))
            _check_fields(ds, stream, names, "label(s)")
            n_rows = _num_rows(ds, num_jets)
            counts: dict[str, np.ndarray] = {name: np.zeros(0, dtype=np.int64) for name in names}
            for start in _blocks(n_rows, block_size):
                block, mask = _read_block(ds, names, start, min(start + block_size, n_rows))
                for name in names:
                    x = block[name] if mask is None else block[name][mask]
                    x = x.ravel()
                    if not np.issubdtype(x.dtype, np.integer) and not (
                        np.isfinite(x).all() and (x == np.round(x)).all()
                    ):
                        msg = (
                            f"Label '{name}' of stream '{stream}' in {Path(path)} has non-integer or "
                            f"non-finite values; class labels must be integers 0..K-1."
                        )
                        raise DataError(msg)
                    x = x.astype(np.int64)
                    x = x[x >= 0]
                    c = np.bincount(x)
                    if c.size > counts[name].size:
                        c[: counts[name].size] += counts[name]
                        counts[name] = c
                    else:
                        counts[name][: c.size] += c
            weights: dict[str, list[float]] = {}
            for name in names:
                c = counts[name]
                k = _num_classes(ds, name, num_classes, stream)
                if k is not None:
                    if c.size > k:
                        msg = (
                            f"Label '{name}' of stream '{stream}' in {Path(path)} has values up to "
                            f"{c.size - 1} but {k} classes are expected; fix num_classes or the file."
                        )
                        raise DataError(msg)
                    c = np.concatenate([c, np.zeros(k - c.size, dtype=np.int64)])
                if c.sum() == 0:
                    msg = (
                        f"Label '{name}' of stream '{stream}' in {Path(path)} has no valid, non-negative "
                        f"entries in the first {n_rows} jets; cannot compute class weights."
                    )
                    raise DataError(msg)
                present = c > 0
                w = np.zeros(c.size, dtype=np.float64)
                w[present] = c.sum() / c[present]
                w[present] /= w[present].min()
                if not present.all():
                    missing = np.flatnonzero(~present).tolist()
                    _warn(
                        f"classes {missing} of label '{name}' (stream '{stream}') never occur in "
                        f"{Path(path)}; giving them the largest weight."
                    )
                    w[~present] = w[present].max()
                weights[name] = [float(v) for v in w]
            result[stream] = weights
    return result
