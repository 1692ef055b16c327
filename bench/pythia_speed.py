"""Generation speed of ``halite synth-pythia``: jets per second for each process and worker count.

Usage: python bench/pythia_speed.py [--num-jets 1000] [--workers 1,2] [--processes top_qcd,quark_gluon,flavour]

Each row generates ``--num-jets`` jets (one split, default options of the process, Pythia
initialisation included) into a temporary folder and prints wall seconds and jets/s; CPU seconds
(user + system of this process) only for one worker, the pool's children are not counted.
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import h5py


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] + " Never part of make test.")
    parser.add_argument("--num-jets", type=int, default=1000)
    parser.add_argument("--workers", default="1", help="comma-separated worker counts (default: 1)")
    parser.add_argument("--processes", default="top_qcd,quark_gluon,flavour")
    parser.add_argument("--chunk-size", type=int, default=250)
    args = parser.parse_args()

    from halite.data.pythia import Options
    from halite.data.pythia_files import write_splits

    print(f"{'process':<12} {'workers':>7} {'jets':>6} {'wall s':>8} {'cpu s':>8} {'jets/s':>8}")
    for process in args.processes.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                cpu0 = resource.getrusage(resource.RUSAGE_SELF)
                t0 = time.perf_counter()
                paths = write_splits(
                    tmp,
                    Options(process),
                    {"train": args.num_jets},
                    seed=1,
                    workers=workers,
                    chunk_size=args.chunk_size,
                )
                wall = time.perf_counter() - t0
                cpu1 = resource.getrusage(resource.RUSAGE_SELF)
                with h5py.File(paths["train"]) as f:
                    assert len(f["jets"]) == args.num_jets
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            cpu_text = f"{cpu:8.1f}" if workers == 1 else f"{'-':>8}"
            rate = args.num_jets / wall
            print(f"{process:<12} {workers:>7} {args.num_jets:>6} {wall:8.1f} {cpu_text} {rate:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
