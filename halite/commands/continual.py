"""``halite continual``: train a task sequence: continual (til/cil/dil) or mtl/stl."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.continual.run import main as run

    return int(run(argv) or 0)
