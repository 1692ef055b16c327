"""Shared runner of the Lightning tools (``fit``, ``validate``, ``test``, ``predict``)."""

from __future__ import annotations

import sys


def run(subcommand: str, argv: list[str]) -> int:
    """Run ``halite <subcommand> <argv>`` through halite's LightningCLI."""
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from halite.cli import HaliteCLI, RunDirSaveConfig, check_config_files, quiet_lightning
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel

    quiet_lightning()
    args = [subcommand, *argv]
    check_config_files(args)
    if subcommand == "fit":
        from halite.continual.run import config_is_continual

        if config_is_continual(args):  # a config with a `continual` section trains a task sequence
            from halite.commands.continual import main as continual

            return continual(argv)
    # from the console, LightningCLI reads sys.argv itself (DDP relaunches the same command line)
    from_console = sys.argv[1:] == args
    try:
        HaliteCLI(
            LitModel,
            JetDataModule,
            args=None if from_console else args,
            save_config_callback=RunDirSaveConfig,
            save_config_kwargs={"overwrite": True, "save_to_log_dir": False},
            parser_kwargs={"parser_mode": "yaml", "prog": "halite"},
            auto_configure_optimizers=False,
        )
    except SIGTERMException:
        return 143  # 128 + SIGTERM: pre-empted; the final checkpoint was written
    return 0
