"""Track-origin, vertexing and regression numbers of a ``halite test`` predictions file.

Usage: python bench/task_metrics.py PREDICTIONS.h5 TEST_FILE.h5 [--model NAME]
The predictions file must come from ``halite test --write_tracks true``; its jets are the
first jets of TEST_FILE in order. Prints the numbers; never part of `make test`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from halite.data.specs import KNOWN_CLASS_NAMES
from halite.data.synthetic import TRACK_ORIGIN_NAMES
from halite.evaluate.task_metrics import (
    origin_accuracy,
    pull_width,
    relative_resolution,
    vertex_pair_metrics,
)
from halite.tasks.classification import short_class_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions")
    parser.add_argument("test_file")
    parser.add_argument("--model", default=None, help="model name (default: the file's halite_model)")
    parser.add_argument("--target", default="pt_truth")
    args = parser.parse_args()
    with h5py.File(args.predictions) as f:
        model = args.model or str(f.attrs["halite_model"])
        jets = f["jets"][:]
        tracks = f["tracks"][:] if "tracks" in f else None
    with h5py.File(args.test_file) as f:
        truth_tracks = f["tracks"][: len(jets)]
    names = jets.dtype.names or ()
    print(f"{args.predictions}: {len(jets)} jets, model {model}")
    if tracks is not None:
        valid = ~tracks["mask"] if "mask" in tracks.dtype.names else tracks["valid"]
        width = valid.shape[1]
        t = truth_tracks[:, :width]
        cols = [f"{model}_p{o}" for o in TRACK_ORIGIN_NAMES]
        if all(c in tracks.dtype.names for c in cols):
            probs = np.stack([tracks[c] for c in cols], axis=-1)
            acc = origin_accuracy(probs, t["ftagTruthOriginLabel"].astype(np.int64), valid)
            print(
                f"track origin: accuracy {acc['accuracy']:.4f}, balanced accuracy {acc['balanced_accuracy']:.4f}"
            )
        col = "VertexIndex" if "VertexIndex" in tracks.dtype.names else f"{model}_VertexIndex"
        if col in tracks.dtype.names:
            truth_vi = t["ftagTruthVertexIndex"].astype(np.int64)
            for label, min_truth in (("all vertices", 0), ("secondary (truth index >= 1)", 1)):
                m = vertex_pair_metrics(tracks[col], truth_vi, valid, min_truth=min_truth)
                print(
                    f"vertexing pairs, {label}: efficiency {m['efficiency']:.4f}, purity {m['purity']:.4f} "
                    f"({m['true_pairs']} true, {m['predicted_pairs']} predicted ordered pairs)"
                )
    truth = jets[args.target]
    probabilities = {f"{model}_p{short_class_name(c)}" for cs in KNOWN_CLASS_NAMES.values() for c in cs}
    for col in names:
        if not col.startswith(f"{model}_") or col.endswith("_stddev") or col in probabilities:
            continue
        res = relative_resolution(jets[col], truth)
        print(
            f"regression {col}: relative resolution (16-84% half width) {res['width']:.4f}, "
            f"std {res['std']:.4f}, median bias {res['bias']:+.4f}"
        )
        if f"{col}_stddev" in names:
            pull = pull_width(jets[col], jets[f"{col}_stddev"], truth)
            print(
                f"  pull ({col} - {args.target}) / stddev: mean {pull['mean']:+.3f}, std {pull['std']:.3f}, "
                f"16-84% half width {pull['width']:.3f}"
            )
    if "pt" in names:
        res = relative_resolution(jets["pt"], truth)
        print(
            f"reference: reconstructed pt / {args.target}: resolution {res['width']:.4f}, bias {res['bias']:+.4f}"
        )


if __name__ == "__main__":
    main()
