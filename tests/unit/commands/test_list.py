"""``halite list`` through the ``halite`` command line."""

from __future__ import annotations

import subprocess
import sys

import pytest


def halite(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "halite", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def listing() -> subprocess.CompletedProcess[str]:
    """One ``halite list`` subprocess for the module (it imports every package)."""
    return halite("list")


def test_list_prints_kind_name_path_and_doc(listing: subprocess.CompletedProcess[str]) -> None:
    assert listing.returncode == 0, listing.stderr
    rows = [line.split() for line in listing.stdout.splitlines()]
    kinds = {r[0] for r in rows}
    assert {
        "models",
        "tasks",
        "encoders",
        "pooling",
        "point-backbones",
        "continual-heads",
        "callbacks",
    } <= kinds
    row = next(r for r in rows if r[0] == "encoders" and r[1] == "TransformerEncoder")
    assert row[2] == "halite.nn.TransformerEncoder" and "pre-norm" in " ".join(row[3:])


def test_list_one_kind_and_an_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    from halite.commands import main

    assert main(["list", "encoders"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert {r[0] for r in rows} == {"encoders"} and "TransformerEncoder" in {r[1] for r in rows}
    done = halite("list", "encoder")  # what a person sees: one line, status 2, no traceback
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
