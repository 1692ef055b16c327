"""``halite fit``: train a model from a config (run directory logs/<name>_<time>/; --ckpt_path last resumes)."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.commands._lightning import run

    return run("fit", argv)
