"""The command-line layer: halite's LightningCLI (links, run directories, checkpoint choice) and its parser.

The ``halite`` command itself is ``halite.commands``; the library never imports this package.
"""

from halite.cli.app import RUN_STAMP_ENV, HaliteCLI, RunDirSaveConfig, best_checkpoint, run_stamp
from halite.cli.checks import check_config_files, quiet_lightning
from halite.cli.parser import HaliteArgumentParser

__all__ = [
    "RUN_STAMP_ENV",
    "HaliteArgumentParser",
    "HaliteCLI",
    "RunDirSaveConfig",
    "best_checkpoint",
    "check_config_files",
    "quiet_lightning",
    "run_stamp",
]
