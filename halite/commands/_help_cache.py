"""``halite <tool> --help`` of the tools whose parser needs torch, kept for the next call.

``fit``, ``validate``, ``test`` and ``predict`` build LightningCLI's parser from the signatures of
Lightning's ``Trainer`` and halite's classes, ``continual`` from ``ContinualRun``'s; importing
Lightning alone takes longer than the 3 s a ``--help`` may take. The first ``halite <tool> --help``
builds the parser as always and keeps the text it printed; later calls print the kept text without
importing torch or Lightning, as long as nothing the text depends on changed. The key
(:func:`fingerprint`) holds everything the text is made from: the tool, the Python, the versions of
Lightning, jsonargparse, torch and their helpers, the path, size and modification time of every
module of this halite, the terminal size (argparse wraps to it), whether stdout is a terminal and
the environment variables of jsonargparse, Lightning, halite and colour switches. A changed key rebuilds the text and replaces the kept one.

The texts live in ``$HALITE_CACHE_DIR`` (default ``$XDG_CACHE_HOME/halite``, else ``~/.cache/halite``),
``help/<tool>.txt``: the key on the first line, then the text. A cache that cannot be written
(read-only home) only means that every ``--help`` builds the parser.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

#: distributions whose code builds or formats the parser (their versions are part of the key)
DISTRIBUTIONS = (
    "lightning",
    "lightning-utilities",
    "jsonargparse",
    "docstring-parser",
    "typeshed-client",
    "torch",
    "torchmetrics",
    "PyYAML",
)
#: prefixes of environment variables that can change a parser (jsonargparse's, Lightning's, halite's)
ENV_PREFIXES = ("JSONARGPARSE_", "PL_", "LIGHTNING_", "HALITE_", "COLUMNS", "LINES")
#: variables that switch colours in help texts (argparse from Python 3.14 colours a terminal's help)
ENV_COLOUR = ("NO_COLOR", "FORCE_COLOR", "PYTHON_COLORS", "TERM")
#: variables with those prefixes that never change a parser (a run's time stamp, the cache itself)
ENV_IGNORED = ("HALITE_RUN_STAMP", "HALITE_CACHE_DIR")
#: ``halite``'s own package folder: every module's stat is part of the key
_PACKAGE = Path(__file__).resolve().parents[1]


def help_requested(argv: list[str]) -> bool:
    """Whether ``argv`` (after the tool name) asks for the tool's help and nothing else."""
    return list(argv) in (["--help"], ["-h"])


def cache_file(tool: str) -> Path:
    """Where the help text of ``tool`` is kept."""
    root = os.environ.get("HALITE_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = str(Path(xdg) / "halite") if xdg else str(Path.home() / ".cache" / "halite")
    return Path(root) / "help" / f"{tool}.txt"


def _versions() -> list[str]:
    import importlib.metadata as md

    out = []
    for dist in DISTRIBUTIONS:
        try:
            out.append(f"{dist}={md.version(dist)}")
        except md.PackageNotFoundError:
            out.append(f"{dist}=-")
    return out


def _sources() -> Iterator[str]:
    for folder, dirs, files in os.walk(_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                st = os.stat(path)
                yield f"{os.path.relpath(path, _PACKAGE)}:{st.st_size}:{st.st_mtime_ns}"


def fingerprint(tool: str) -> str:
    """The key of ``tool``'s help text: a hash of everything the text is made from."""
    h = hashlib.sha256()
    env = sorted(
        f"{k}={v}"
        for k, v in os.environ.items()
        if (k.startswith(ENV_PREFIXES) and k not in ENV_IGNORED) or k in ENV_COLOUR
    )
    width = shutil.get_terminal_size()
    tty = sys.stdout.isatty() if hasattr(sys.stdout, "isatty") else False
    parts = [tool, sys.version, sys.executable, str(_PACKAGE), f"{width.columns}x{width.lines}", f"tty={tty}"]
    for part in [*parts, *_versions(), *env, *_sources()]:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def cached_help(tool: str) -> str | None:
    """The kept help text of ``tool`` when its key is still the current one, else ``None``."""
    try:
        key, _, text = cache_file(tool).read_text().partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return text if key == fingerprint(tool) and text else None


def store_help(tool: str, text: str) -> None:
    """Keep ``text`` as ``tool``'s help (atomically; a cache that cannot be written is skipped)."""
    from halite.io import atomic_path

    path = cache_file(tool)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(f"{fingerprint(tool)}\n{text}")


class _Tee(io.TextIOBase):
    """Writes to ``stream`` and keeps a copy."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()


@contextlib.contextmanager
def recording(tool: str) -> Iterator[None]:
    """Keep what the block prints on stdout as ``tool``'s help when it exits with status 0 (``--help``)."""
    tee = _Tee(sys.stdout)
    saved = sys.stdout
    sys.stdout = tee  # type: ignore[assignment]
    try:
        yield
    except SystemExit as done:
        sys.stdout = saved
        if done.code in (0, None) and tee.copy.getvalue():
            store_help(tool, tee.copy.getvalue())
        raise
    finally:
        sys.stdout = saved


def print_cached_help(tool: str) -> bool:
    """Print ``tool``'s kept help text when it is current; whether it was printed."""
    text = cached_help(tool)
    if text is None:
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True
