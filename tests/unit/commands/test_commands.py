"""The ``halite`` command: tools listed from ``halite.commands``; every tool answers --help."""

from __future__ import annotations

import logging
import os
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


# ---- errors: one block and status 2 for the user's mistakes, a traceback and status 1 for bugs ----------


def _failing_synth(monkeypatch: pytest.MonkeyPatch, err: BaseException) -> None:
    import halite.commands.synth as synth

    def fail(argv: list[str]) -> int:
        try:
            raise err
        except BaseException as inner:  # wrapped, as jsonargparse wraps errors of __init__s
            raise RuntimeError("Problem with given class_path 'x'") from inner

    monkeypatch.setattr(synth, "main", fail)


def test_user_error_is_one_block_with_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from halite.errors import DataKeyError

    monkeypatch.setenv("HALITE_DEBUG", "0")
    _failing_synth(monkeypatch, DataKeyError("f.h5: variable 'd0' not found in dataset 'tracks'."))
    assert main(["synth"], catch=True) == 2
    err = capsys.readouterr().err
    assert err == "halite synth: error: f.h5: variable 'd0' not found in dataset 'tracks'.\n"
    with pytest.raises(RuntimeError):  # a call with explicit argv (tests, scripts) gets the exception
        main(["synth"])
    with pytest.raises(RuntimeError):
        main(["synth", "--debug"], catch=True)
    assert os.environ["HALITE_DEBUG"] == "0"  # --debug of an in-process call does not leak


def test_bug_prints_traceback_and_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HALITE_DEBUG", "0")
    _failing_synth(monkeypatch, ZeroDivisionError("division by zero"))
    assert main(["synth"], catch=True) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err
    assert "halite synth: internal error: RuntimeError" in err and "please report it" in err


def test_user_error_finds_halite_messages_in_the_chain() -> None:
    from halite.commands import user_error
    from halite.io import read_yaml

    try:
        try:
            read_yaml("/nonexistent/n.yaml")  # a builtin-compatible halite error, raised by halite
        except FileNotFoundError as inner:
            raise ValueError("Does not validate against any of the Union subtypes") from inner
    except ValueError as err:
        assert user_error(err) == "YAML file not found: /nonexistent/n.yaml. Check the path in your config."
    try:
        {}["key"]
    except KeyError as err:
        assert user_error(err) is None
    full = OSError(28, "No space left on device")
    full.filename = "/out/pred.h5"
    assert user_error(full) == "No space left on device: /out/pred.h5"
