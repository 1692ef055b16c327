"""``halite test``: write the predictions HDF5 of a run's best checkpoint and print the summary."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.commands._lightning import run

    return run("test", argv)
