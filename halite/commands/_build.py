"""Build the objects of a config (model, data module) through halite's CLI parser, for the tools.

The parser knows the config schema and the links (data sizes -> model), so the tools build from a
config exactly as ``halite fit`` does. The library never builds from a config itself: it receives
built objects (or a callable that builds them) from here.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from halite.cli import HaliteCLI, RunDirSaveConfig, quiet_lightning
from halite.data.datamodule import JetDataModule
from halite.training.module import LitModel


@contextlib.contextmanager
def no_argv() -> Iterator[None]:
    """Hide the calling tool's own command line from the LightningCLI it builds (and quiet Lightning)."""
    quiet_lightning()
    saved = sys.argv
    sys.argv = saved[:1]
    try:
        yield
    finally:
        sys.argv = saved


def build_from_config(args: list[str] | dict[str, Any], **kwargs: Any) -> HaliteCLI:
    """Parse ``args`` (command-line list or config dict) and instantiate, without running.

    Returns the CLI object: ``.model`` (LitModel), ``.datamodule``, ``.parser``, ``.config``.
    """
    kwargs.setdefault("load_from_checkpoint_support", False)  # no hyper-parameters kept: no config dump
    with no_argv():
        return HaliteCLI(LitModel, JetDataModule, args=args, run=False, **kwargs)


def fit_in_process(args: list[str], callbacks: list[Any]) -> None:
    """Run ``halite fit <args>`` in this process with extra trainer callbacks."""
    with no_argv():
        HaliteCLI(
            LitModel,
            JetDataModule,
            args=["fit", *args],
            save_config_callback=RunDirSaveConfig,
            save_config_kwargs={"overwrite": True},
            trainer_defaults={"callbacks": callbacks},
            auto_configure_optimizers=False,
            only_subcommand="fit",
            load_from_checkpoint_support=False,  # LitModel and JetDataModule keep no hyper-parameters
        )


def load_run(ckpt_path: str | Path, config_path: str | Path | None = None) -> tuple[Any, Any, dict]:
    """``(LitModel, JetDataModule, config)`` of a run with the checkpoint's weights loaded (eval mode)."""
    from halite.training.restore import find_run_config, load_config, load_weights

    ckpt = Path(ckpt_path)
    if not ckpt.is_file():
        msg = f"Checkpoint not found: {ckpt}. Pass the path of a .ckpt file from <run>/ckpts/."
        raise FileNotFoundError(msg)
    cfg_path = Path(config_path) if config_path else find_run_config(ckpt)
    cfg = load_config(cfg_path)
    cli = build_from_config(cfg)
    load_weights(cli.model, ckpt, cfg_path)
    return cli.model, cli.datamodule, cfg
