"""``halite <tool> [options] -- [config overrides]``: the split shared by tools that run halite fit."""

from __future__ import annotations


def split_overrides(argv: list[str]) -> tuple[list[str], list[str]]:
    """``(tool options, overrides)``: the arguments before and after the first ``--``."""
    args = list(argv)
    if "--" not in args:
        return args, []
    i = args.index("--")
    return args[:i], args[i + 1 :]
