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
import os
import pkgutil
import sys
import traceback
from pathlib import Path

#: exit status of a user error (bad config, data or checkpoint), as argparse uses for bad arguments
USER_ERROR = 2
#: exit status of an unexpected exception (a bug): the traceback is printed
BUG = 1
#: builtin errors that halite raises (``raise ValueError(msg)``) for the user to fix; the blocks in
#: halite.nn raise these, since halite.nn does not import halite.errors
_HALITE_RAISES = (ValueError, TypeError, LookupError, OSError)
_PACKAGE = str(Path(__file__).resolve().parents[1])


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


def _chain(err: BaseException) -> list[BaseException]:
    """``err`` and the exceptions it was raised from or while handling (``__cause__`` / ``__context__``)."""
    seen: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return seen


def _raised_by_halite(err: BaseException) -> bool:
    """Whether ``err`` was raised by a ``raise`` statement in halite's own code (not by a bug there)."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames or not isinstance(err, _HALITE_RAISES):
        return False
    last = frames[-1]
    return last.filename.startswith(_PACKAGE) and (last.line or "").lstrip().startswith("raise ")


def user_error(err: BaseException) -> str | None:
    """The message to show for ``err`` when it is a user error, else ``None`` (a bug).

    A user error is a :class:`halite.errors.HaliteError` anywhere in the chain of exceptions
    (jsonargparse and Lightning wrap what a model's or data module's ``__init__`` raises), else an
    error halite raised deliberately (``raise ValueError(msg)`` in halite), else an ``OSError`` with a
    file name (disk full, permission denied, read-only file system).
    """
    from halite.errors import HaliteError

    chain = _chain(err)
    found: BaseException | None = next((e for e in chain if isinstance(e, HaliteError)), None)
    found = found or next((e for e in chain if _raised_by_halite(e)), None)
    if found is None:
        room = [e for e in chain if isinstance(e, OSError) and e.filename and e.strerror]
        return f"{room[0].strerror}: {room[0].filename}" if room else None
    if isinstance(found, KeyError) and len(found.args) == 1:
        return str(found.args[0])  # KeyError's str() quotes the message
    return str(found)


def debug_requested(args: list[str]) -> tuple[bool, list[str]]:
    """(``--debug`` anywhere in ``args`` or ``HALITE_DEBUG=1``, ``args`` without ``--debug``)."""
    rest = [a for a in args if a != "--debug"]
    return len(rest) < len(args) or os.environ.get("HALITE_DEBUG", "") not in ("", "0"), rest


def main(argv: list[str] | None = None, *, catch: bool | None = None) -> int:
    """Entry point of the ``halite`` console script.

    User errors (see :func:`user_error`) print ``halite <tool>: error: <message>`` on stderr and
    return 2; other exceptions print their traceback and a line asking to report it, and return 1.
    ``--debug`` (anywhere) or ``HALITE_DEBUG=1`` re-raises instead. ``catch`` defaults to handling
    errors only for the console (``argv`` None); a call with explicit ``argv`` (tests, scripts)
    gets the exception.
    """
    # no list(...) in this module: importing the tool halite.commands.list rebinds the name here
    debug, args = debug_requested([*(sys.argv[1:] if argv is None else argv)])
    if argv is None:
        sys.argv[1:] = args  # LightningCLI and DDP's launcher read sys.argv
    catch = argv is None if catch is None else catch
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
    tool = args[0]
    before = os.environ.get("HALITE_DEBUG")
    if debug:
        os.environ["HALITE_DEBUG"] = "1"  # the argument parser and DDP's relaunched ranks see it
    try:
        module = importlib.import_module(table[tool])
        return int(module.main(args[1:]) or 0)
    except Exception as err:
        if debug or not catch:
            raise
        message = user_error(err)
        if message is None:
            traceback.print_exc()
            print(
                f"halite {tool}: internal error: {type(err).__name__}: {err}\n"
                "This is a bug in halite, not in your input: please report it with the traceback above "
                "(--debug or HALITE_DEBUG=1 shows the tracebacks of user errors too).",
                file=sys.stderr,
            )
            return BUG
        print(f"halite {tool}: error: {message}", file=sys.stderr)
        return USER_ERROR
    finally:
        if debug:  # an in-process call leaves the environment as it found it
            if before is None:
                os.environ.pop("HALITE_DEBUG", None)
            else:
                os.environ["HALITE_DEBUG"] = before
