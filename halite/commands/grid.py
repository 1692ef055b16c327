"""``halite grid``: run and compare a grid of point-cloud models on one sample and task."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.training.grid import main as run

    return int(run(argv) or 0)
