"""``halite list`` through the ``halite`` command line."""

from __future__ import annotations

import subprocess
import sys


def halite(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "halite", *args], capture_output=True, text=True, timeout=300
    )


def test_list_one_kind_prints_kind_name_path_and_doc() -> None:
    done = halite("list", "encoders")
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    assert {r[0] for r in rows} == {"encoders"}
    row = next(r for r in rows if r[1] == "TransformerEncoder")
    assert row[2] == "halite.nn.TransformerEncoder" and "pre-norm" in " ".join(row[3:])


def test_list_everything_and_an_unknown_kind() -> None:
    done = halite("list")
    assert done.returncode == 0, done.stderr
    kinds = {line.split()[0] for line in done.stdout.splitlines()}
    assert {
        "models",
        "tasks",
        "encoders",
        "pooling",
        "point-backbones",
        "continual-heads",
        "callbacks",
    } <= kinds
    done = halite("list", "encoder")
    assert done.returncode == 2
    assert (
        "Unknown kind 'encoder'. Did you mean 'encoders'?" in done.stderr and "Traceback" not in done.stderr
    )


def test_the_tool_module_named_list_does_not_break_the_dispatcher() -> None:
    import importlib

    from halite.commands import main

    importlib.import_module("halite.commands.list")  # binds halite.commands.list (the module)
    assert main(["list", "pooling"]) == 0
    assert main(["nosuchtool"]) == 2
