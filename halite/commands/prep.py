"""``halite prep``: compute the norm dict and class dict of a training file."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.data.prep_cli import main as run

    return int(run(argv) or 0)
