"""The ``halite`` command: tools listed from ``halite.commands``; every tool answers --help."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from halite.commands import ConsoleHandler, main, summary, tools

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


def test_console_handler_info_on_stdout_warnings_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    log = logging.getLogger("halite.tests.console")
    handler = ConsoleHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        log.warning("constant variable")
        log.info("norm dict written")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    captured = capsys.readouterr()
    assert captured.out == "norm dict written\n"
    assert captured.err == "warning: constant variable\n"


def test_library_messages_reach_the_console_of_a_command() -> None:
    code = (
        "import logging; from halite.commands import console_logging; console_logging(); console_logging(); "
        "logging.getLogger('halite.data.prep').info('note: using all'); "
        "logging.getLogger('halite.data.prep').warning('never occur'); "
        "logging.getLogger('halite.data.prep').debug('hidden')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "note: using all\n"  # once: console_logging adds one handler
    assert done.stderr == "warning: never occur\n"
    # an application that configured logging itself gets the records through its own handlers
    code = "import logging; logging.basicConfig(format='app %(name)s %(message)s'); " + code.split("; ", 1)[1]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "app halite.data.prep note: using all",
        "app halite.data.prep never occur",
    ]
