"""The bad-input corpus through the command line: what a person sees.

Every case runs ``halite ...`` as its own process and must exit with status 2, print no traceback,
and name the file / key / variable at fault in one ``halite <tool>: error:`` block. The in-process
corpus (test_bad_files.py, test_bad_configs.py) checks the messages; this one checks that they
reach the terminal unwrapped.

The cases in ``SUBPROCESS`` (one per kind of tool) run as ``python -m halite`` subprocesses; the
others run as forked children of a fork server that imported the CLI once (``forkserver.py``: the
console entry point with the case's ``sys.argv``, environment and files, only the ~7 s of imports
shared), two at a time. ``test_the_fork_server_shows_what_a_subprocess_shows`` checks that both
give the same status and output for those cases.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from halite.commands import main
from tests.conftest import ROOT, make_dataset, tiny_config
from tests.reliability import test_bad_configs as bad_configs
from tests.reliability.corpus_cases import CASES, FIT0, Env
from tests.reliability.forkserver import Zygote
from tests.reliability.runs import small_config, the_run

WORKERS = 2


#: cases run with a limit on the size of files they may write (a full disk)
SMALL_DISK = {"synth: full disk"}
FILE_SIZE_LIMIT = 256 * 1024
#: cases run as real ``python -m halite`` subprocesses (one per kind of tool); the rest are forked
SUBPROCESS = {
    "unknown tool",
    "typo in a data key",
    "norm dict without a variable",
    "checkpoint from another model",
    "prep: truncated file",
    "evaluate: tagger not in the file",
    "synth: full disk",
    "import-salt: bad salt key",
}


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def case_env(debug: bool = False) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HALITE_DEBUG": "1" if debug else ""}


def run_halite(args: list[str], small_disk: bool = False, debug: bool = False) -> tuple[int, str]:
    env = case_env(debug)
    proc = subprocess.run(
        [sys.executable, "-m", "halite", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
        preexec_fn=_limit_file_size if small_disk else None,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A tiny dataset and a trained tiny run (in-process: one Lightning start-up)."""
    out = tmp_path_factory.mktemp("corpus")
    data = make_dataset(out / "data", num_train=400, num_eval=100)
    run_cfg = small_config(data, out, ckpt_every_n_steps=0)
    cfg = tiny_config("demo.yaml", data, out, num_train=100, num_val=100, num_test=100)

    def one_short_epoch(c: dict) -> None:
        c["trainer"].update(max_epochs=1)
        c["data"].update(num_train=100)

    run_cfg = bad_configs.edit_config(run_cfg, one_short_epoch, "run.yaml")
    main(["fit", "--config", str(run_cfg)])
    run = the_run(out / "logs")
    return Env(data, cfg, run / "config.yaml", run / "ckpts" / "last.ckpt", out)


@pytest.fixture(scope="module")
def commands(env: Env, request: pytest.FixtureRequest) -> dict[str, list[str]]:
    """Every selected case's command line (``-k`` runs a few cases only)."""
    selected = {
        item.callspec.params["case"]
        for item in request.session.items
        if hasattr(item, "callspec") and "case" in item.callspec.params
    }
    out = {}
    for i, (case, build, _) in enumerate(CASES):
        if case in selected:
            tmp = env.tmp / f"case{i:02d}"
            tmp.mkdir()
            out[case] = build(Env(env.data, env.cfg, env.run_cfg, env.ckpt, tmp))
    return out


@pytest.fixture(scope="module")
def zygotes() -> Iterator[list[Zygote]]:
    """One fork server per worker thread."""
    with ThreadPoolExecutor(WORKERS) as pool:
        servers = list(pool.map(lambda _: Zygote(ROOT, case_env()), range(WORKERS)))
    yield servers
    for z in servers:
        z.close()


def run_forked(
    zygote: Zygote, args: list[str], small_disk: bool = False, debug: bool = False
) -> tuple[int, str]:
    return zygote.run(args, case_env(debug), FILE_SIZE_LIMIT if small_disk else 0)


@pytest.fixture(scope="module")
def results(commands: dict[str, list[str]], zygotes: list[Zygote]) -> dict[str, tuple[list[str], int, str]]:
    """Every selected case's (command line, exit status, stdout + stderr), two at a time."""
    real = [c for c in commands if c in SUBPROCESS]
    forked = [c for c in commands if c not in SUBPROCESS]
    queues = [forked[i::WORKERS] for i in range(WORKERS)]

    def drain(i: int) -> dict[str, tuple[int, str]]:
        done = {c: run_forked(zygotes[i], commands[c], c in SMALL_DISK) for c in queues[i]}
        done.update({c: run_halite(commands[c], c in SMALL_DISK) for c in real[i::WORKERS]})
        return done

    with ThreadPoolExecutor(WORKERS) as pool:
        out: dict[str, tuple[int, str]] = {}
        for part in pool.map(drain, range(WORKERS)):
            out.update(part)
    return {c: (commands[c], *out[c]) for c in commands}


def test_corpus_size() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("case", "match"), [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_error_on_the_command_line(
    case: str, match: str, results: dict[str, tuple[list[str], int, str]]
) -> None:
    import re

    args, status, output = results[case]
    shown = f"halite {' '.join(args)}\n{output}"
    assert status == 2, shown
    assert "Traceback" not in output, shown
    assert re.search(match, output), shown
    assert "usage:" not in output, shown  # one block, not the 80-line usage of the Lightning tools


def test_the_fork_server_shows_what_a_subprocess_shows(
    commands: dict[str, list[str]], results: dict[str, tuple[list[str], int, str]], zygotes: list[Zygote]
) -> None:
    """The forked cases are trusted because the real-subprocess cases give the same through the fork server."""
    compared = 0
    for case in sorted(SUBPROCESS & set(commands)):
        _, status, output = results[case]
        assert run_forked(zygotes[0], commands[case], case in SMALL_DISK) == (status, output), case
        compared += 1
    assert compared or not commands


def test_debug_shows_the_traceback(env: Env, tmp_path: Path, zygotes: list[Zygote]) -> None:
    """``--debug`` anywhere on the command line, or ``HALITE_DEBUG=1``, shows the traceback."""
    missing = str(tmp_path / "none.yaml")
    status, output = run_forked(
        zygotes[0], ["fit", "--debug", "--config", str(env.cfg), "--data.norm_dict", missing, *FIT0]
    )
    assert status == 1 and "Traceback" in output and "none.yaml" in output, output
    status, output = run_halite(["prep", "--file", str(tmp_path / "absent.h5")], debug=True)
    assert status == 1 and "Traceback" in output and "absent.h5" in output, output
    status, output = run_forked(
        zygotes[0], ["fit", "--config", str(env.cfg), "--data.batchsize", "3", "--debug"]
    )
    assert status == 1 and "Traceback" in output and "data.batchsize" in output, output
