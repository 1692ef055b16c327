"""``halite synth``: write synthetic salt-format HDF5 files (train/val/test)."""

from __future__ import annotations

import argparse
import sys
import time


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite synth",
        description="Write synthetic train/val/test HDF5 files (jets + tracks) in salt's layout.",
    )
    p.add_argument("--out-dir", default="demo_data", help="output folder (default: %(default)s)")
    p.add_argument("--num-train", type=int, default=100_000, help="training jets (default: %(default)s)")
    p.add_argument("--num-val", type=int, default=20_000, help="validation jets (default: %(default)s)")
    p.add_argument("--num-test", type=int, default=20_000, help="test jets (default: %(default)s)")
    p.add_argument("--seed", type=int, default=42, help="base random seed (default: %(default)s)")
    p.add_argument("--num-tracks", type=int, default=40, help="track slots per jet (default: %(default)s)")
    p.add_argument("--electrons", action="store_true", help="also write an `electrons` dataset")
    p.add_argument(
        "--num-electrons", type=int, default=10, help="electron slots per jet (default: %(default)s)"
    )
    p.add_argument("--soft-muons", action="store_true", help="add softMuon_* variables to `jets`")
    p.add_argument(
        "--parameters",
        action="store_true",
        help="write a `parameters` dataset (b-jet `mass`) that changes the b-jet signal",
    )
    from halite.commands._layout import add_layout_options

    add_layout_options(p)
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``halite synth``; returns the exit status (2 for a bad size)."""
    args = parser().parse_args(argv)
    for name in ("num_train", "num_val", "num_test"):
        if getattr(args, name) < 0:
            print(f"halite synth: --{name.replace('_', '-')} must be >= 0", file=sys.stderr)
            return 2
    if args.num_tracks < 1:
        print("halite synth: --num-tracks must be >= 1", file=sys.stderr)
        return 2
    if args.num_electrons < 1:
        print("halite synth: --num-electrons must be >= 1", file=sys.stderr)
        return 2
    if args.chunk_jets is not None and args.chunk_jets < 1:
        print("halite synth: --chunk-jets must be >= 1", file=sys.stderr)
        return 2
    from halite.data.synthetic import write_splits

    t0 = time.perf_counter()
    paths = write_splits(
        args.out_dir,
        args.num_train,
        args.num_val,
        args.num_test,
        seed=args.seed,
        num_tracks=args.num_tracks,
        electrons=args.electrons,
        soft_muons=args.soft_muons,
        parameters=args.parameters,
        num_electrons=args.num_electrons,
        compression=args.compression,
        chunk_jets=args.chunk_jets,
    )
    elapsed = time.perf_counter() - t0
    sizes = {"train": args.num_train, "val": args.num_val, "test": args.num_test}
    for split, path in paths.items():
        size_mb = path.stat().st_size / 2**20
        layout = "" if args.compression == "none" else f", {args.compression}"
        print(f"wrote {path} ({sizes[split]} jets x {args.num_tracks} tracks, {size_mb:.1f} MiB{layout})")
    print(f"done in {elapsed:.1f} s")
    return 0
