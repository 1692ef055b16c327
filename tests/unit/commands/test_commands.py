"""The ``halite`` command: tools listed from ``halite.commands``; every tool answers --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from halite.commands import main, summary, tools

TOOLS = sorted(tools())


def test_tools_come_from_the_package() -> None:
    assert {"fit", "validate", "test", "predict", "synth", "prep", "export", "mup-setup"} <= set(TOOLS)
    assert not any(t.startswith("_") for t in TOOLS)
    assert all(summary(t) for t in TOOLS), "every tool module needs a one-line docstring"


def test_halite_help_and_unknown_tool_through_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "halite", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for tool in TOOLS:
        assert f"\n  {tool} " in done.stdout
    done = subprocess.run([sys.executable, "-m", "halite", "fitt"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown tool 'fitt'" in done.stderr and "Did you mean 'fit'?" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_answers_help(tool: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([tool, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: halite") and tool in out.splitlines()[0]
