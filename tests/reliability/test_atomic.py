"""Atomic outputs: a failing or interrupted write leaves the previous complete file and no partial one."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import torch

from halite.io import atomic_path, write_yaml
from halite.training.checkpoint_io import AtomicCheckpointIO, safe_load


def test_disk_full_gives_clear_error_and_keeps_previous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "norm_dict.yaml"
    write_yaml(target, {"v": 1})

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(
        OSError, match=r"No space left on device while writing .*norm_dict\.yaml; the previous file"
    ):
        write_yaml(target, {"v": 2})
    monkeypatch.undo()
    assert target.read_text() == "v: 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["norm_dict.yaml"]  # no temporary left


def test_checkpoint_disk_full_keeps_previous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    io = AtomicCheckpointIO()
    path = tmp_path / "last.ckpt"
    io.save_checkpoint({"state_dict": {"w": torch.ones(2)}, "global_step": 1}, path)

    def full(obj: object, f: object, *args: object, **kwargs: object) -> None:
        Path(str(f)).write_bytes(b"PK\x03\x04half")  # part of the file is written, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(OSError, match=r"No space left on device while writing .*last\.ckpt"):
        io.save_checkpoint({"state_dict": {"w": torch.zeros(2)}, "global_step": 2}, path)
    monkeypatch.undo()
    assert safe_load(path)["global_step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_interrupted_write_keeps_previous(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("complete")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "complete"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
