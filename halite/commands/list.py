"""``halite list``: list the registered models, tasks, encoders ... (short class paths for configs).

``halite list`` prints every kind; ``halite list encoders`` one kind. Each line gives the kind, the
short name, the class path to write in a config (``class_path: halite.nn.TransformerEncoder``) and
the first line of the class's docstring.
"""

from __future__ import annotations

import argparse


def main(argv: list[str]) -> int:
    from halite import registry

    parser = argparse.ArgumentParser(
        prog="halite list", description="List the registered building blocks and their short class paths."
    )
    parser.add_argument("kind", nargs="?", help=f"one of: {', '.join(registry.KINDS)} (default: all)")
    args = parser.parse_args(argv)
    try:
        rows = registry.entries(args.kind)
    except KeyError as err:
        parser.exit(2, f"halite list: error: {err.args[0]}\n")
    kind_w = max(len(e.kind) for e in rows)
    name_w = max(len(e.name) for e in rows)
    path_w = max(len(e.path) for e in rows)
    for e in rows:
        print(f"{e.kind:<{kind_w}}  {e.name:<{name_w}}  {e.path:<{path_w}}  {e.doc}".rstrip())
    return 0
