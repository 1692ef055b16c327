"""``halite predict``: run the model on data through Lightning's predict loop."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.commands._lightning import run

    return run("predict", argv)
