"""``halite convert``: convert ROOT / parquet files (data.columnar) to salt-layout HDF5."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite convert",
        description=(
            "Convert ROOT TTrees or parquet files into salt-layout HDF5 (one structured dataset per stream, "
            "constituents padded with a 'valid' flag), streaming in chunks of entries."
        ),
    )
    p.add_argument("inputs", nargs="+", help="ROOT / parquet files or globs")
    p.add_argument("--to", required=True, help="output HDF5 file")
    p.add_argument(
        "--config", required=True, help="halite config with a data.columnar section (or just that section)"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``halite convert``; 0 on success (a user error raises: ``halite.commands.main`` prints it, status 2)."""
    args = parser().parse_args(argv)
    from halite.data.convert import convert, load_columnar
    from halite.data.readers import expand_files

    config, global_object = load_columnar(args.config)
    inputs = expand_files(args.inputs)
    t0 = time.perf_counter()
    n = convert(inputs, Path(args.to), config, global_object, progress=not args.no_progress)
    dt = time.perf_counter() - t0
    print(f"wrote {n} jets to {args.to} in {dt:.1f} s ({n / max(dt, 1e-9):.0f} jets/s)")
    return 0
