"""``halite synth``: write synthetic salt-format HDF5 files (train/val/test)."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.data.synthetic import main as run

    return int(run(argv) or 0)
