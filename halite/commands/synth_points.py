"""``halite synth-points``: write synthetic point-cloud samples (detector events, top/QCD jets)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    from halite.data.synthetic_points import SAMPLES

    ap = argparse.ArgumentParser(
        prog="halite synth-points", description="Synthetic point-cloud samples (salt layout)."
    )
    ap.add_argument(
        "--sample", choices=sorted(SAMPLES), required=True, help="events (hits) or jets (particles)"
    )
    ap.add_argument("--out-dir", type=Path, required=True)
    ap.add_argument("--num-train", type=int, default=50_000)
    ap.add_argument("--num-val", type=int, default=10_000)
    ap.add_argument("--num-test", type=int, default=10_000)
    ap.add_argument("--slots", type=int, default=64, help="constituent slots per entry")
    ap.add_argument("--seed", type=int, default=42)
    return ap


def main(argv: list[str]) -> int:
    """Entry point of ``halite synth-points``; returns the exit status (2 for a bad size)."""
    from halite.data.synthetic_points import write_sample_splits

    args = parser().parse_args(argv)
    if min(args.num_train, args.num_val, args.num_test) < 1 or args.slots < 1:
        print("halite synth-points: sizes and --slots must be >= 1", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    paths = write_sample_splits(
        args.out_dir, args.sample, args.num_train, args.num_val, args.num_test, args.seed, args.slots
    )
    for p in paths.values():
        print(f"wrote {p} ({p.stat().st_size / 2**20:.1f} MiB)")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0
