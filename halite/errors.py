"""halite's error vocabulary: mistakes in what a person gave halite, as opposed to bugs in halite.

Every class here is a :class:`HaliteError`. The ``halite`` command prints one as a single
``halite <tool>: error: <message>`` block and exits with status 2 (``--debug`` or
``HALITE_DEBUG=1`` shows the traceback instead). Each kind also subclasses the builtin exception
that the same mistake raised before (``ValueError``, ``KeyError``, ``TypeError``, ``OSError``,
``FileNotFoundError``), so ``except ValueError`` in callers keeps working.

A message names the file / key / variable, the bad value and what to change; it is raised as
``msg = f"..."; raise DataError(msg)``. This module is a leaf: it imports nothing from halite
(``halite.nn`` does not use it; the blocks raise builtin errors, which the command line recognises
as halite's own when raised by a ``raise`` statement in halite, see ``halite.commands``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class HaliteError(Exception):
    """Base of the errors that are the user's to fix (bad config, data, checkpoint)."""

    def __str__(self) -> str:
        # KeyError would print the message in quotes; a message is shown as written
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class ConfigError(HaliteError, ValueError):
    """A config file or command-line value that is missing, malformed or inconsistent."""


class ConfigFileNotFound(ConfigError, FileNotFoundError):
    """A file named in the config or on the command line does not exist."""


class DataError(HaliteError, ValueError):
    """Input data (HDF5 files, norm / class dicts) that does not match what the config asks for."""


class DataKeyError(DataError, KeyError):
    """A dataset, stream, variable or label named in the config is not in the data."""


class DataTypeError(DataError, TypeError):
    """A variable of the data has a type halite cannot use (e.g. strings where numbers are read)."""


class DataFileError(DataError, OSError):
    """A data file that cannot be opened or read (not HDF5, truncated, unreadable)."""


class DataFileNotFound(DataError, FileNotFoundError):
    """An input file (or glob) that matches nothing."""


class CheckpointError(HaliteError, ValueError):
    """A checkpoint that cannot be read, is unsafe, or belongs to another model."""


class CheckpointNotFound(CheckpointError, FileNotFoundError):
    """A checkpoint path that does not exist."""


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the close matches of ``name`` among ``options`` (empty when none)."""
    close = difflib.get_close_matches(name, [str(o) for o in options], n=3, cutoff=0.6)
    if not close:
        return ""
    return f" Did you mean {' or '.join(repr(c) for c in close)}?"
