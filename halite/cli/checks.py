"""Checks and quieting done before a LightningCLI is built."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from halite.errors import ConfigFileNotFound
from halite.io import read_yaml


def check_config_files(args: list[str]) -> dict[str, Any]:
    """Fail with the file and line when a ``--config`` file is missing or not valid YAML.

    Returns the content of every ``--config`` file by its path as given, for the callers that read
    them next (the salt translation): each file is read once.
    """
    loaded: dict[str, Any] = {}
    for i, arg in enumerate(args):
        path = args[i + 1] if arg in ("--config", "-c") and i + 1 < len(args) else None
        if arg.startswith("--config="):
            path = arg.split("=", 1)[1]
        if path is None:
            continue
        if not Path(path).is_file():
            msg = f"Config file not found: {path}. Check the path passed with --config."
            raise ConfigFileNotFound(msg)
        loaded[path] = read_yaml(path)  # raises ValueError naming the file, line and column
    return loaded


#: Lightning messages that are expected with halite's design and only confuse newcomers.
QUIET_WARNINGS = (
    r".*IterableDataset.*has `__len__` defined.*",  # our __len__ is exact per rank
    r".*overridden `transfer_batch_to_device`.*",  # Batch moves itself
    r".*isinstance\(treespec, LeafSpec\).*",
    r".*callbacks used to create the checkpoint need to be provided.*",
    r".*does not have many workers which may be a bottleneck.*",
)


class _DropTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(tip in record.getMessage() for tip in ("litlogger", "litmodels"))


def quiet_lightning() -> None:
    """Silence Lightning messages that do not apply to halite runs."""
    for pattern in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_DropTips())
