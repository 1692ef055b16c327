"""``halite synth-pythia``: generate Pythia 8 + FastJet jet samples (train/val/test) in salt's layout."""

from __future__ import annotations

import argparse
import sys
import time


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite synth-pythia",
        description=(
            "Generate class-balanced jet samples with Pythia 8 (pp, 13 TeV) and FastJet anti-kt: top vs QCD, "
            "quark vs gluon, or b/c/light flavour. Writes train/val/test HDF5 files with a `jets` and a "
            "`particles` dataset (four-momenta, charge, PID, impact parameters), momenta in GeV."
        ),
    )
    p.add_argument(
        "--process",
        choices=["top_qcd", "quark_gluon", "flavour"],
        default="top_qcd",
        help="sample to generate (default: %(default)s)",
    )
    p.add_argument("--num-jets", type=int, default=10_000, help="jets over all splits (default: %(default)s)")
    p.add_argument(
        "--split",
        default="0.8,0.1,0.1",
        help="train,val,test fractions of --num-jets (default: %(default)s)",
    )
    p.add_argument("--out-dir", default="pythia_data", help="output folder (default: %(default)s)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    p.add_argument(
        "--radius", type=float, default=None, help="anti-kt R (default: 0.8 top_qcd, 0.4 otherwise)"
    )
    p.add_argument(
        "--pt-min", type=float, default=None, help="jet pt window low edge, GeV (default: per process)"
    )
    p.add_argument(
        "--pt-max", type=float, default=None, help="jet pt window high edge, GeV (default: per process)"
    )
    p.add_argument("--eta-max", type=float, default=None, help="jet |eta| cut (default: per process)")
    p.add_argument(
        "--num-constituents",
        type=int,
        default=None,
        help="constituent slots per jet (default: 128 top_qcd, 64 quark_gluon, 48 flavour)",
    )
    p.add_argument("--mpi", action="store_true", help="turn on multiple parton interactions (slower)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes generating chunks in parallel (default: %(default)s)",
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        default=1000,
        help="jets per independently seeded chunk; the files depend on it, not on --workers (default: %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _split_sizes(total: int, text: str) -> dict[str, int]:
    parts = [s.strip() for s in text.split(",")]
    try:
        fractions = [float(s) for s in parts]
    except ValueError:
        fractions = []
    if len(fractions) != 3 or any(f < 0 for f in fractions) or sum(fractions) <= 0:
        msg = f"--split '{text}' must be three non-negative fractions train,val,test, e.g. 0.8,0.1,0.1."
        raise ValueError(msg)
    norm = [f / sum(fractions) for f in fractions]
    val, test = round(total * norm[1]), round(total * norm[2])
    return {"train": total - val - test, "val": val, "test": test}


def main(argv: list[str]) -> int:
    """Entry point of ``halite synth-pythia``; returns the exit status (2 for a bad option)."""
    args = parser().parse_args(argv)
    for name in ("num_jets", "workers", "chunk_size"):
        if getattr(args, name) < 1:
            print(f"halite synth-pythia: --{name.replace('_', '-')} must be >= 1", file=sys.stderr)
            return 2
    sizes = _split_sizes(args.num_jets, args.split)

    from tqdm import tqdm

    from halite.data.pythia import Options
    from halite.data.pythia_files import write_splits

    options = Options(
        args.process,
        radius=args.radius,
        pt_min=args.pt_min,
        pt_max=args.pt_max,
        eta_max=args.eta_max,
        num_constituents=args.num_constituents,
        mpi=args.mpi,
    )
    options.resolved()  # a bad window fails before Pythia starts
    t0 = time.perf_counter()
    with tqdm(total=args.num_jets, unit="jets", disable=args.no_progress, file=sys.stderr) as bar:

        def progress(done: int) -> None:
            bar.update(done - bar.n)

        paths = write_splits(
            args.out_dir,
            options,
            sizes,
            seed=args.seed,
            progress=progress,
            workers=args.workers,
            chunk_size=args.chunk_size,
        )
    elapsed = time.perf_counter() - t0
    for split, path in paths.items():
        size_mb = path.stat().st_size / 2**20
        print(f"wrote {path} ({sizes[split]} {args.process} jets, {size_mb:.1f} MiB)")
    print(f"done in {elapsed:.1f} s ({args.num_jets / elapsed:.1f} jets/s)")
    return 0
