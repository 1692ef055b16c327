"""Shared runner of the Lightning tools (``fit``, ``validate``, ``test``, ``predict``)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: first key parts of command-line overrides folded into a salt config before its translation
_SALT_SECTIONS = ("data.", "model.", "trainer.", "name=", "seed_everything=")


def run(subcommand: str, argv: list[str]) -> int:
    """Run ``halite <subcommand> <argv>`` through halite's LightningCLI.

    ``halite <subcommand> --help`` prints the kept text when it is current (``_help_cache``): no
    Lightning import; otherwise the parser prints it and the text is kept for the next call.
    """
    from halite.commands import _help_cache

    helping = _help_cache.help_requested(argv)
    if helping and _help_cache.print_cached_help(subcommand):
        raise SystemExit(0)  # as argparse ends after printing a help
    # Lightning, torch and the model classes are imported after the config-file checks and the salt
    # translation, so that a missing or unreadable config fails in a fraction of a second
    from halite.cli.checks import check_config_files, quiet_lightning

    quiet_lightning()
    args = [subcommand, *argv]
    loaded = check_config_files(args)
    translated = translate_salt_args(subcommand, argv, contents=loaded)  # a SaltConfigError: status 2
    if translated is not None:
        argv = translated
        args = [subcommand, *argv]
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from halite.cli import HaliteCLI, RunDirSaveConfig
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel

    if subcommand == "fit":
        from halite.continual.run import config_is_continual

        if config_is_continual(args):  # a config with a `continual` section trains a task sequence
            from halite.commands.continual import main as continual

            return continual(argv)
    # from the console, LightningCLI reads sys.argv itself (DDP relaunches the same command line)
    from_console = sys.argv[1:] == args
    keep_help = _help_cache.recording(subcommand) if helping else contextlib.nullcontext()
    try:
        with keep_help:
            HaliteCLI(
                LitModel,
                JetDataModule,
                args=None if from_console else args,
                save_config_callback=RunDirSaveConfig,
                save_config_kwargs={"overwrite": True, "save_to_log_dir": False},
                parser_kwargs={"parser_mode": "yaml", "prog": "halite"},
                auto_configure_optimizers=False,
                only_subcommand=subcommand,
                # LitModel and JetDataModule keep no hyper-parameters (no save_hyperparameters): the dump
                # of the whole config Lightning makes for save_hyperparameters would go unused
                load_from_checkpoint_support=False,
            )
    except SIGTERMException:
        return 143  # 128 + SIGTERM: pre-empted; the final checkpoint was written
    return 0


def _split(argv: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """``argv`` -> (``("--config", path)`` and ``(key, value)`` overrides in command-line order, other args)."""
    steps: list[tuple[str, str]] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        value = argv[i + 1] if i + 1 < len(argv) else None
        if arg in ("--config", "-c") and value is not None:
            steps.append(("--config", value))
            i += 2
            continue
        if arg.startswith("--config="):
            steps.append(("--config", arg.split("=", 1)[1]))
        elif arg.startswith("--") and arg[2:].startswith(_SALT_SECTIONS) and "=" in arg:
            key, val = arg[2:].split("=", 1)
            steps.append((key, val))
        elif arg.startswith("--") and (arg[2:] + "=").startswith(_SALT_SECTIONS) and value is not None:
            steps.append((arg[2:], value))
            i += 2
            continue
        else:
            rest.append(arg)
        i += 1
    return steps, rest


def translate_salt_args(
    subcommand: str, argv: list[str], out_dir: str | None = None, contents: Mapping[str, Any] | None = None
) -> list[str] | None:
    """When a ``--config`` names ``salt.`` class paths: the arguments running its halite translation.

    salt's ``base.yaml`` defaults, then every ``--config`` and ``--data.* / --model.* / --trainer.*``
    override in command-line order, are merged as salt's CLI merges them, translated
    (``halite.compat.translate``) and written to ``<out_dir or a temp dir>/<name>.halite.yaml``;
    one line says so. Returns ``None`` (run unchanged) for halite configs. ``contents``: the content of
    config files already read, by path (``check_config_files``'s answer); the others are read here.
    """
    from halite.compat import apply_salt_defaults, is_salt_config, translate
    from halite.compat.salt_base import merge, set_dotted
    from halite.io import read_yaml, write_yaml

    steps, rest = _split(argv)
    configs = [value for key, value in steps if key == "--config"]
    known = contents or {}
    loaded = {c: (known[c] if c in known else read_yaml(c)) or {} for c in configs}
    if not any(is_salt_config(c) for c in loaded.values()):
        return None
    merged = apply_salt_defaults(subcommand=subcommand)
    for key, value in steps:  # in order, as jsonargparse applies them: a later --config wins
        if key == "--config":
            merged = merge(merged, loaded[value])
        else:
            set_dotted(merged, key, value)
    config, notes = translate(merged, comet_account=bool(os.environ.get("COMET_API_KEY")))
    folder = Path(out_dir or tempfile.mkdtemp(prefix="halite-salt-"))
    path = folder / f"{Path(configs[-1]).stem}.halite.yaml"
    write_yaml(path, config)
    print(f"salt config {', '.join(configs)} translated to halite's schema: {path} ({len(notes)} notes, "
          f"`halite import-salt {configs[-1]}` lists them)")  # fmt: skip
    for note in notes:
        if note.startswith("trainer.logger"):
            print(note)
    return [f"--config={path}", *rest]
