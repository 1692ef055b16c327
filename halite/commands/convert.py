"""``halite convert``: convert ROOT / parquet files (data.columnar) to salt-layout HDF5, or HDF5 to another layout."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite convert",
        description=(
            "Convert ROOT TTrees or parquet files into salt-layout HDF5 (one structured dataset per stream, "
            "constituents padded with a 'valid' flag), streaming in chunks of entries. HDF5 inputs are "
            "copied (concatenated) into the storage layout given by --compression / --chunk-jets."
        ),
    )
    p.add_argument("inputs", nargs="+", help="ROOT / parquet files, or HDF5 files, or globs")
    p.add_argument("--to", required=True, help="output HDF5 file")
    p.add_argument(
        "--config",
        help="halite config with a data.columnar section (or just that section); ROOT / parquet only",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    from halite.commands._layout import add_layout_options

    add_layout_options(p)
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``halite convert``; 0 on success (a user error raises: ``halite.commands.main`` prints it, status 2)."""
    p = parser()
    args = p.parse_args(argv)
    from halite.data.columnar.sources import is_columnar
    from halite.data.convert import convert, load_columnar, relayout
    from halite.data.readers import expand_files

    inputs = expand_files(args.inputs)
    kinds = {is_columnar(path) for path in inputs}
    if len(kinds) > 1:
        p.error("the inputs mix ROOT / parquet with HDF5 files; convert one kind at a time")
    t0 = time.perf_counter()
    if kinds == {True}:
        if args.config is None:
            p.error("ROOT / parquet inputs need --config (a data.columnar section saying how jets are built)")
        config, global_object = load_columnar(args.config)
        n = convert(
            inputs,
            Path(args.to),
            config,
            global_object,
            progress=not args.no_progress,
            compression=args.compression,
            chunk_jets=args.chunk_jets,
        )
    else:
        if args.config is not None:
            p.error(
                "--config is for ROOT / parquet inputs; HDF5 inputs are copied as they are (drop --config)"
            )
        n = relayout(inputs, Path(args.to), args.compression, args.chunk_jets)
    dt = time.perf_counter() - t0
    print(f"wrote {n} jets to {args.to} in {dt:.1f} s ({n / max(dt, 1e-9):.0f} jets/s)")
    return 0
