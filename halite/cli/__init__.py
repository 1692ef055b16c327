"""The command-line layer: halite's LightningCLI (links, run directories, checkpoint choice) and its parser.

The ``halite`` command itself is ``halite.commands``; the library never imports this package.
The names below are imported on first use, so ``halite.cli.checks`` (config-file checks done
before Lightning is imported) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from halite.cli.app import RUN_STAMP_ENV, HaliteCLI, RunDirSaveConfig, best_checkpoint, run_stamp
    from halite.cli.checks import check_config_files, quiet_lightning
    from halite.cli.parser import HaliteArgumentParser

#: exported name -> module defining it
_LAZY = {
    "RUN_STAMP_ENV": "halite.cli.app",
    "HaliteCLI": "halite.cli.app",
    "RunDirSaveConfig": "halite.cli.app",
    "best_checkpoint": "halite.cli.app",
    "run_stamp": "halite.cli.app",
    "check_config_files": "halite.cli.checks",
    "quiet_lightning": "halite.cli.checks",
    "HaliteArgumentParser": "halite.cli.parser",
}

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


def __getattr__(name: str) -> Any:
    """Import an exported name's module on first access (PEP 562)."""
    if name not in _LAZY:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
