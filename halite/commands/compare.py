"""``halite compare``: per-jet agreement of two prediction files."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.evaluate.compare import main as run

    return int(run(argv) or 0)
