"""``halite submit``: write a SLURM / HTCondor job for N nodes x M GPUs."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.training.submit import main as run

    return int(run(argv) or 0)
