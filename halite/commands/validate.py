"""``halite validate``: compute the validation losses of a checkpoint."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.commands._lightning import run

    return run("validate", argv)
