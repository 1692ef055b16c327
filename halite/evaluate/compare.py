"""Per-jet agreement of two prediction files (e.g. a deployed model's dump), for ``halite compare``."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np


def compare(
    a: Path, b: Path, tagger_a: str, tagger_b: str, dataset: str = "jets"
) -> dict[str, dict[str, float]]:
    """Max and mean absolute difference of every output the two taggers share."""
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        xa, xb = fa[dataset][:], fb[dataset][:]
    if len(xa) != len(xb):
        msg = f"{a} has {len(xa)} jets but {b} has {len(xb)}; compare files of the same jets."
        raise ValueError(msg)
    suffixes_a = {n[len(tagger_a) + 1 :] for n in xa.dtype.names if n.startswith(f"{tagger_a}_")}
    suffixes_b = {n[len(tagger_b) + 1 :] for n in xb.dtype.names if n.startswith(f"{tagger_b}_")}
    common = sorted(suffixes_a & suffixes_b)
    if not common:
        msg = f"No common outputs: '{tagger_a}_*' in {a} has {sorted(suffixes_a)}, '{tagger_b}_*' in {b} has {sorted(suffixes_b)}."
        raise ValueError(msg)
    result = {}
    for s in common:
        d = np.abs(xa[f"{tagger_a}_{s}"].astype(np.float64) - xb[f"{tagger_b}_{s}"].astype(np.float64))
        result[s] = {"max_abs_diff": float(d.max()), "mean_abs_diff": float(d.mean())}
    return result
