"""Argument parser whose errors about unknown config keys say "did you mean ...?"."""

from __future__ import annotations

import argparse
import difflib
import importlib
import inspect
import os
import re
import sys
from collections.abc import Iterator
from typing import NoReturn

from lightning.pytorch.cli import LightningArgumentParser

from halite.errors import ConfigError

#: jsonargparse / argparse phrasings of "this key does not exist"
_UNKNOWN = [
    re.compile(r"Subcommand '[^']+' does not accept option '([^']+)'"),
    re.compile(r"Group '([^']+)' does not accept option '([^']+)'"),
    re.compile(r"unrecognized arguments: --?([\w.\-]+)"),
    re.compile(r"[Kk]ey '([^']+)' is not expected"),
    re.compile(r"Option '([^']+)' is not accepted"),
]
_CLASS_PATH = re.compile(r"class_path '([\w.]+)'")
_NO_ATTR = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'")
#: lines of jsonargparse messages that give the value's type or list the ``None`` alternative
_NOISE = re.compile(r"^\s*(Given value type: |- Expected a <class 'NoneType'>)")
_LONG = 160  # a "Given value: ..." line (the whole value of a section) is cut to this many characters


def parser_keys(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[str]:
    """Every option key of ``parser`` and its subcommand parsers (dotted, without ``--``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from parser_keys(sub, prefix)
        elif action.dest and action.dest not in (argparse.SUPPRESS, "help"):
            yield prefix + action.dest


def init_args_of(class_path: str) -> list[str]:
    """Constructor argument names of ``class_path`` (empty if it cannot be imported)."""
    module, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
        params = inspect.signature(cls.__init__).parameters
    except (ImportError, AttributeError, ValueError, TypeError):
        return []
    return [p for p in params if p not in ("self", "args", "kwargs")]


def class_suggestions(message: str) -> list[str]:
    """Close class names for a ``class_path`` naming a class its module does not have."""
    lines = []
    for module, name in _NO_ATTR.findall(message):
        try:
            names = [n for n in dir(importlib.import_module(module)) if not n.startswith("_")]
        except ImportError:
            continue
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        if close:
            options = " or ".join(repr(f"{module}.{c}") for c in close)
            lines.append(f"Unknown class_path '{module}.{name}': did you mean {options}?")
    return lines


def suggestions(message: str, keys: list[str]) -> list[str]:
    """Lines of "did you mean" advice for every unknown key or class named in ``message``."""
    lines = class_suggestions(message)
    for pattern in _UNKNOWN:
        for match in pattern.finditer(message):
            unknown = ".".join(match.groups())
            classes = _CLASS_PATH.findall(message[: match.start()])
            candidates = init_args_of(classes[-1]) if classes else keys
            where = f" of {classes[-1]}" if classes else ""
            close = difflib.get_close_matches(unknown, candidates, n=1, cutoff=0.6)
            if not close and "." in unknown:
                head, _, leaf = unknown.rpartition(".")
                same_level = [k.rpartition(".")[2] for k in candidates if k.startswith(head + ".")]
                close = [f"{head}.{c}" for c in difflib.get_close_matches(leaf, same_level, n=1, cutoff=0.6)]
            if close:
                lines.append(
                    f"Unknown key '{unknown}'{where}: did you mean {' or '.join(repr(c) for c in close)}?"
                )
            else:
                level = unknown.rpartition(".")[0]
                valid = sorted({k for k in candidates if k.rpartition(".")[0] == level})
                shown = ", ".join(valid[:40]) + (" ..." if len(valid) > 40 else "")
                lines.append(f"Unknown key '{unknown}'{where}. Valid keys here: {shown}")
    return lines


class HaliteArgumentParser(LightningArgumentParser):
    """LightningArgumentParser that adds close matches to errors about unknown keys."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        extra = [line for line in suggestions(message, sorted(set(parser_keys(self)))) if line not in message]
        if extra:
            message = message.rstrip() + "\n" + "\n".join(extra)
        if not self.exit_on_error:
            super().error(message, ex)  # raises: a nested parser, whose caller handles it
        if os.environ.get("HALITE_DEBUG", "") not in ("", "0"):
            raise ConfigError(message) from ex  # --debug: the traceback
        # one block, as every halite tool prints a user error: no 80-line usage first
        parser = getattr(ex, "subcommand_parser", None) or self
        prog = parser.prog.replace(" [options]", "")
        lines = [line for line in message.splitlines() if not _NOISE.match(line)]
        message = "\n".join(line if len(line) <= _LONG else line[: _LONG - 4] + " ..." for line in lines)
        sys.stderr.write(f"{prog}: error: {message}\n(`{prog} --help` lists the options)\n")
        self.exit(2)
