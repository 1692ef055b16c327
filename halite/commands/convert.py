"""``halite convert``: convert ROOT / parquet files (data.columnar) to salt-layout HDF5."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.data.convert import main as run

    return int(run(argv) or 0)
