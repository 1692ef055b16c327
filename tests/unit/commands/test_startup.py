"""Start-up: what ``halite --help`` and ``halite <tool> --help`` import, and the kept help texts.

Not timing tests: each checks ``sys.modules`` of a fresh ``halite`` process, so a module-level import
of torch, Lightning or a plotting / export library in the wrong place fails here on any machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from halite.commands import _help_cache, tools

ROOT = Path(__file__).resolve().parents[3]
#: libraries that take seconds to import (torch, Lightning and what they pull)
HEAVY = (
    "torch",
    "lightning",
    "jsonargparse",
    "numpy",
    "h5py",
    "scipy",
    "matplotlib",
    "puma",
    "onnx",
    "onnxruntime",
)
#: libraries that only plotting and exporting need
PLOT_EXPORT = ("matplotlib", "puma", "onnx", "onnxruntime")
#: tools whose parser is built from torch / Lightning classes: their help text is kept (_help_cache)
CACHED = ("fit", "validate", "test", "predict", "continual")

#: runs ``halite <argv>`` as ``python -m halite`` does and prints the heavy modules it imported
PROBE = """
import json, runpy, sys
argv, heavy = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
sys.argv = ["halite", *argv]
code = None
try:
    runpy.run_module("halite", run_name="__main__", alter_sys=True)
except SystemExit as done:
    code = done.code
print("MODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules} & heavy)))
print("CODE " + json.dumps(code))
"""


def probe(argv: list[str], env: dict[str, str]) -> tuple[list[str], int, str]:
    """(heavy top-level modules imported, exit status, stdout before the probe lines) of ``halite <argv>``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[-2].startswith("MODULES "), done.stderr[-2000:]
    text = "\n".join(lines[:-2])
    return json.loads(lines[-2][8:]), json.loads(lines[-1][5:]), text


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HALITE_CACHE_DIR": str(tmp_path / "cache")}


def test_import_of_the_command_and_its_help_pull_no_library(env: dict[str, str]) -> None:
    code = f"import sys, halite.commands; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "[]"
    modules, code_, text = probe(["--help"], env)
    assert modules == [] and code_ == 0
    assert text.startswith("usage: halite <tool>")


def test_the_help_of_every_tool_but_the_cached_ones_imports_no_torch(env: dict[str, str]) -> None:
    """One process per tool: ``--help`` parses before the tool imports its library."""
    for tool in sorted(set(tools()) - set(CACHED)):
        modules, code, text = probe([tool, "--help"], env)
        assert code == 0, tool
        assert text.startswith(f"usage: halite {tool}"), tool
        assert not {"torch", "lightning", *PLOT_EXPORT} & set(modules), (tool, modules)


def test_test_help_is_kept_and_printed_again_without_torch_lightning_or_plotting(env: dict[str, str]) -> None:
    built, code, first = probe(["test", "--help"], env)  # builds LightningCLI's parser and keeps the text
    assert code == 0 and first.startswith("usage: halite [options] test")
    assert "--data.test_file" in first and "--trainer.precision" in first
    assert not {"puma", "onnx", "onnxruntime"} & set(built)  # matplotlib comes with Lightning's torchmetrics
    assert (Path(env["HALITE_CACHE_DIR"]) / "help" / "test.txt").is_file()
    modules, code, again = probe(["test", "--help"], env)
    assert code == 0 and again == first
    assert modules == []  # neither torch nor Lightning nor jsonargparse, nor matplotlib / puma / onnx
    # a different terminal width wraps the text differently: the parser is built again
    modules, code, wide = probe(["test", "--help"], {**env, "COLUMNS": "200"})
    assert "lightning" in modules and wide != first
    # -h is --help
    modules, code, short = probe(["test", "-h"], {**env, "COLUMNS": "200"})
    assert modules == [] and short == wide


def test_the_key_changes_with_the_sources_and_a_stale_text_is_not_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(_help_cache, "_PACKAGE", package)
    monkeypatch.setenv("HALITE_CACHE_DIR", str(tmp_path / "cache"))
    key = _help_cache.fingerprint("fit")
    assert _help_cache.fingerprint("fit") == key and _help_cache.fingerprint("test") != key
    assert not _help_cache.print_cached_help("fit")  # nothing kept yet
    _help_cache.store_help("fit", "usage: halite fit\n")
    assert _help_cache.print_cached_help("fit")
    assert capsys.readouterr().out == "usage: halite fit\n"
    (package / "a.py").write_text("x = 22\n")  # a changed module (size and time)
    assert _help_cache.fingerprint("fit") != key
    assert not _help_cache.print_cached_help("fit") and _help_cache.cached_help("fit") is None
    monkeypatch.setenv("JSONARGPARSE_DEFAULT_ENV", "true")  # jsonargparse's own switches are in the key
    assert _help_cache.fingerprint("fit") != key
    monkeypatch.setenv("HALITE_RUN_STAMP", "20261202-000000")  # a run's time stamp is not
    with_stamp = _help_cache.fingerprint("fit")
    monkeypatch.setenv("HALITE_RUN_STAMP", "20261202-000001")
    assert _help_cache.fingerprint("fit") == with_stamp


def test_recording_keeps_the_text_of_a_help_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALITE_CACHE_DIR", str(tmp_path))
    with pytest.raises(SystemExit), _help_cache.recording("predict"):
        print("usage: halite predict")
        raise SystemExit(2)  # an argument error: nothing kept
    assert _help_cache.cached_help("predict") is None
    with pytest.raises(SystemExit), _help_cache.recording("predict"):
        print("usage: halite predict")
        raise SystemExit(0)
    assert _help_cache.cached_help("predict") == "usage: halite predict\n"
    assert _help_cache.help_requested(["--help"]) and _help_cache.help_requested(["-h"])
    assert not _help_cache.help_requested(["--config", "c.yaml", "--help"])
