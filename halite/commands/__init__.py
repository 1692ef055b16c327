"""The ``halite`` command: one thin module per tool (``halite <tool>`` runs ``halite.commands.<tool>.main``).

A tool module holds its argument parser and calls the library; it imports the library inside
``main`` so that listing the tools (``halite --help``) stays fast. Module names map to tool names
with ``_`` -> ``-`` (``synth_points.py`` is ``halite synth-points``); modules starting with ``_`` are
shared helpers, not tools.
"""

from __future__ import annotations

import ast
import importlib
import logging
import pkgutil
import sys
from pathlib import Path


def tools() -> dict[str, str]:
    """Tool name -> module path, for every tool module of this package."""
    return {
        info.name.replace("_", "-"): f"{__name__}.{info.name}"
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
        if not info.name.startswith("_")
    }


def summary(tool: str) -> str:
    """First line of a tool module's docstring (read from the source: no import)."""
    path = Path(__path__[0]) / f"{tool.replace('-', '_')}.py"
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    line = doc.strip().splitlines()[0] if doc.strip() else ""
    line = line.split(":", 1)[1].strip() if line.startswith("``halite") and ":" in line else line
    return line.rstrip(".")


def usage() -> str:
    """The list of tools printed by ``halite --help``."""
    table = tools()
    width = max(len(t) for t in table)
    lines = ["usage: halite <tool> [options]   (halite <tool> --help for a tool's options)", "", "tools:"]
    lines += [f"  {t:<{width}}  {summary(t)}" for t in table]
    return "\n".join(lines)


class ConsoleHandler(logging.Handler):
    """Messages of the library on the console: info on stdout, warnings (``warning: ...``) on stderr.

    The stream is looked up per message, so ``contextlib.redirect_stdout`` and pytest's capture
    apply to it.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            stream = sys.stderr if record.levelno >= logging.WARNING else sys.stdout
            if record.levelno >= logging.WARNING:
                text = f"{record.levelname.lower()}: {text}"
            stream.write(text + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def console_logging() -> None:
    """Show the ``halite`` loggers' info messages on the console, unless logging is already set up.

    Like Lightning's own logger: when the application (or pytest) configured the root logger, the
    messages propagate to it instead.
    """
    log = logging.getLogger("halite")
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if log.hasHandlers():
        return
    handler = ConsoleHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.propagate = False


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``halite`` console script."""
    # no list(...) in this module: importing the tool halite.commands.list rebinds the name here
    args = [*(sys.argv[1:] if argv is None else argv)]
    table = tools()
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0
    if args[0] not in table:
        import difflib

        close = difflib.get_close_matches(args[0], [*table], n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        print(f"halite: error: unknown tool '{args[0]}'.{hint} Tools: {', '.join(table)}.", file=sys.stderr)
        return 2
    console_logging()
    module = importlib.import_module(table[args[0]])
    return int(module.main(args[1:]) or 0)
