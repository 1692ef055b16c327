"""Which run `halite fit --ckpt_path ...` continues."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from halite.training.resume import find_resume


def make_run(root: Path, name: str, mtime: float) -> Path:
    run = root / name
    (run / "ckpts").mkdir(parents=True)
    (run / "config.yaml").write_text("name: demo\n")
    last = run / "ckpts" / "last.ckpt"
    last.write_bytes(b"x")
    os.utime(last, (mtime, mtime))
    return run


def test_last_picks_the_run_of_the_config_else_the_newest(tmp_path: Path) -> None:
    old = make_run(tmp_path, "demo_20260101-000000", 1_000)
    new = make_run(tmp_path, "demo_20260102-000000", 2_000)
    make_run(tmp_path, "other_20260103-000000", 3_000)
    assert find_resume("last", [str(old / "config.yaml")], tmp_path, "demo") == (
        old,
        old / "ckpts" / "last.ckpt",
    )
    assert find_resume("last", ["configs/demo.yaml"], tmp_path, "demo") == (new, new / "ckpts" / "last.ckpt")


def test_explicit_checkpoint(tmp_path: Path) -> None:
    run = make_run(tmp_path, "demo_20260101-000000", 1_000)
    ckpt = run / "ckpts" / "last.ckpt"
    assert find_resume(str(ckpt), [], tmp_path, "demo") == (run, ckpt)  # continues in place
    loose = tmp_path / "weights.ckpt"
    loose.write_bytes(b"x")
    assert find_resume(str(loose), [], tmp_path, "demo") is None  # a new run starting from it
    assert find_resume(None, [], tmp_path, "demo") is None
    with pytest.raises(FileNotFoundError, match=r"--ckpt_path .*gone\.ckpt does not exist"):
        find_resume(str(tmp_path / "gone.ckpt"), [], tmp_path, "demo")


def test_last_without_runs(tmp_path: Path) -> None:
    make_run(tmp_path, "other_20260103-000000", 3_000)
    with pytest.raises(FileNotFoundError, match=r"no checkpoint to resume .*demo_\*/ckpts/last\.ckpt"):
        find_resume("last", [], tmp_path, "demo")
