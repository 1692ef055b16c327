"""``halite import-salt``: translate a salt 0.13 config into halite's schema (-o halite.yaml) and list the notes.

salt's ``base.yaml`` defaults are merged in first, as salt's own CLI does for ``fit`` and ``test``
(``--no-base`` leaves them out); several configs are merged in order, like repeated ``--config``.
Every note says what was changed, dropped or chosen and why; a salt key halite cannot honour
stops with an error naming it and the fix.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="halite import-salt",
        description="Translate salt config(s) into one halite config and print what was translated.",
    )
    parser.add_argument("config", nargs="+", help="salt config file(s), merged in order")
    parser.add_argument("-o", "--output", required=True, help="halite config to write (e.g. halite.yaml)")
    parser.add_argument("--no-base", action="store_true", help="do not merge salt's base.yaml defaults")
    args = parser.parse_args(argv)

    from halite.cli import check_config_files
    from halite.compat import SaltConfigError, apply_salt_defaults, translate
    from halite.io import read_yaml, write_yaml

    check_config_files([a for c in args.config for a in ("--config", c)])
    loaded = [read_yaml(c) or {} for c in args.config]
    merged = apply_salt_defaults(*loaded, subcommand="import" if args.no_base else "fit")
    try:
        config, notes = translate(merged, comet_account=bool(os.environ.get("COMET_API_KEY")))
    except SaltConfigError as err:
        parser.exit(2, f"halite import-salt: error: {err}\n")
    write_yaml(args.output, config)
    print(f"wrote {args.output} (halite's schema) from {', '.join(args.config)}; {len(notes)} notes:")
    for note in notes:
        print(f"  - {note}")
    return 0
