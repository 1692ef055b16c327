"""Norm dict and class dict of a ROOT / parquet file for ``halite prep`` (same formats as for HDF5)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from halite.data.columnar.config import ColumnarConfig, columnar_config
from halite.data.columnar.reader import ColumnarReader
from halite.errors import DataError

log = logging.getLogger(__name__)


class _Moments:
    """Streaming count / mean / sum of squared deviations (Chan et al. merge), float64."""

    def __init__(self) -> None:
        self.count, self.mean, self.m2, self.bad = 0, 0.0, 0.0, 0

    def add(self, x: np.ndarray) -> None:
        x = x.astype(np.float64, copy=False).ravel()
        finite = np.isfinite(x)
        if not finite.all():
            self.bad += int(x.size - finite.sum())
            x = x[finite]
        if x.size == 0:
            return
        mean_b = float(x.mean())
        m2_b = float(np.square(x - mean_b).sum())
        n = self.count + x.size
        delta = mean_b - self.mean
        self.mean += delta * x.size / n
        self.m2 += m2_b + delta * delta * self.count * x.size / n
        self.count = n


def _class_weights(counts: np.ndarray) -> list[float]:
    """UPP weights ``sum / count`` with the smallest 1; absent classes get the largest weight."""
    present = counts > 0
    w = np.zeros(counts.size, dtype=np.float64)
    w[present] = counts.sum() / counts[present]
    w[present] /= w[present].min()
    w[~present] = w[present].max()
    return [float(v) for v in w]


def columnar_dicts(
    path: str | Path,
    config: ColumnarConfig,
    global_object: str,
    variables: Mapping[str, list[str]],
    labels: Mapping[str, list[str]],
    num_jets: int | None = None,
) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, dict[str, list[float]]]]:
    """Mean/std of ``variables`` over valid entries and class weights of ``labels``, in one pass.

    Parameters
    ----------
    path
        ROOT or parquet file.
    config
        The ``data.columnar`` section.
    global_object
        Name of the global stream.
    variables
        Stream -> input variables.
    labels
        Stream -> class labels (fields of the stream, e.g. ``flavour_label``).
    num_jets
        Use only the first ``num_jets`` selected jets (``None`` or negative: all).

    Returns
    -------
    tuple
        ``({stream: {var: {"mean", "std"}}}, {stream: {label: [w0, w1, ...]}})``.
    """
    path = Path(path)
    streams = list(dict.fromkeys([*variables, *labels]))
    fields = {s: list(dict.fromkeys([*variables.get(s, []), *labels.get(s, [])])) for s in streams}
    # streaming pass: no jet count needed up front (offsets unused)
    reader = ColumnarReader(path, config, fields, global_object, offsets=np.zeros(1, dtype=np.int64))
    moments = {s: {v: _Moments() for v in names} for s, names in variables.items()}
    counts = {s: {lab: np.zeros(0, dtype=np.int64) for lab in names} for s, names in labels.items()}
    left = -1 if num_jets is None or num_jets < 0 else int(num_jets)
    try:
        for _, arrays in reader.source.iterate(reader.branches, config.step_size):
            if left == 0:
                break
            cols = reader.columns(arrays)
            n = max((len(next(iter(c.values()))) for c, _ in cols.values() if c), default=0)
            n = n if left < 0 else min(n, left)
            for stream, (c, valid) in cols.items():
                keep = None if valid is None else valid[:n]
                for var, acc in moments.get(stream, {}).items():
                    x = c[var][:n]
                    acc.add(x if keep is None else x[keep])
                for lab in counts.get(stream, {}):
                    x = c[lab][:n]
                    x = (x if keep is None else x[keep]).astype(np.int64)
                    binc = np.bincount(x[x >= 0])
                    old = counts[stream][lab]
                    size = max(binc.size, old.size)
                    counts[stream][lab] = np.pad(old, (0, size - old.size)) + np.pad(
                        binc, (0, size - binc.size)
                    )
            if left > 0:
                left = max(0, left - n)
    finally:
        reader.close()
    norm: dict[str, dict[str, dict[str, float]]] = {}
    for stream, accs in moments.items():
        norm[stream] = {}
        for var, acc in accs.items():
            if acc.bad:
                msg = (
                    f"Non-finite (NaN/inf) values in {path}, stream '{stream}': '{var}' ({acc.bad} values). "
                    f"Fix the new_variables expression or drop the variable from data.variables."
                )
                raise DataError(msg)
            if acc.count == 0:
                msg = f"No valid entries for variable '{var}' of stream '{stream}' in {path}; check the selection."
                raise DataError(msg)
            std = float(np.sqrt(acc.m2 / acc.count))
            if std == 0.0:
                log.warning(f"variable '{var}' of stream '{stream}' is constant in {path}; using std=1.")
                std = 1.0
            norm[stream][var] = {"mean": float(acc.mean), "std": std}
    classes: dict[str, dict[str, list[float]]] = {}
    for stream, per_label in counts.items():
        classes[stream] = {}
        for lab, hist in per_label.items():
            cfg = config.labels.get(lab)
            k = None
            if cfg is not None and cfg.class_names:
                k = len(cfg.class_names)
            elif cfg is not None and cfg.one_hot:
                k = len(cfg.one_hot)
            if k is not None:
                if hist.size > k:
                    msg = f"Label '{lab}' of stream '{stream}' in {path} has values up to {hist.size - 1} but {k} classes."
                    raise DataError(msg)
                hist = np.pad(hist, (0, k - hist.size))
            if hist.sum() == 0:
                msg = f"Label '{lab}' of stream '{stream}' in {path} has no valid entries; cannot compute class weights."
                raise DataError(msg)
            classes[stream][lab] = _class_weights(hist)
    return norm, classes


def prep_columnar(
    file: Path,
    data: Mapping,
    variables: Mapping[str, list[str]],
    labels: Mapping[str, list[str]] | None,
    num_jets: int | None,
) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, dict[str, list[float]]]]:
    """``halite prep`` on a ROOT / parquet file, configured by the ``data`` section of a config.

    ``labels=None`` uses every label of ``data.columnar.labels`` whose stream is in ``variables``.
    """
    if not isinstance(data.get("columnar"), Mapping):
        msg = f"{file} is a ROOT/parquet file: pass --config with a data.columnar section describing its branches."
        raise DataError(msg)
    config = columnar_config(data["columnar"])
    global_object = str(data.get("global_object") or "jets")
    config.check(global_object)
    if labels is None:
        found: dict[str, list[str]] = {}
        for name, cfg in config.labels.items():
            stream = cfg.stream or global_object
            if stream in variables:
                found.setdefault(stream, []).append(name)
        labels = found
    return columnar_dicts(file, config, global_object, variables, labels, num_jets)
