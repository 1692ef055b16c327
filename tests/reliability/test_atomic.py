"""Atomic outputs: a failing or interrupted write leaves the previous complete file and no partial one."""

from __future__ import annotations

import ast
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


WRITERS = {"save", "savefig", "write_text", "write_bytes", "to_csv", "dump", "export"}


def unguarded_writes(source: str) -> list[int]:
    """Lines of file-writing calls that are not inside a ``with atomic_path(...)`` block."""
    tree = ast.parse(source)
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
            isinstance(item.context_expr, ast.Call)
            and getattr(item.context_expr.func, "id", getattr(item.context_expr.func, "attr", ""))
            == "atomic_path"
            for item in node.items
        ):
            guarded |= {id(n) for n in ast.walk(node)}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in guarded:
            continue
        func = node.func
        name = getattr(func, "attr", getattr(func, "id", ""))
        mode = next((a.value for a in node.args[1:2] if isinstance(a, ast.Constant)), None)
        mode = next(
            (k.value.value for k in node.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)),
            mode,
        )
        writes_file = name in ("File", "open") and isinstance(mode, str) and any(c in mode for c in "wax")
        if writes_file or (name in WRITERS and isinstance(func, ast.Attribute) and _is_file_writer(func)):
            lines.append(node.lineno)
    return lines


def _is_file_writer(func: ast.Attribute) -> bool:
    """``torch.save``, ``fig.savefig``, ``path.write_text`` ... but not ``json.dump`` into an open handle."""
    owner = getattr(func.value, "id", getattr(func.value, "attr", ""))
    # json.dump into an open handle and jsonargparse's parser.dump (returns a string) write no file
    return not (func.attr == "dump" and owner in ("json", "yaml", "parser")) and owner not in (
        "self",
        "super",
    )


def test_every_output_goes_through_atomic_path() -> None:
    sample = (
        "with atomic_path(p) as t:\n    torch.save(x, t)\ntorch.save(x, p)\nh5py.File(p, 'w')\nh5py.File(p)\n"
    )
    assert unguarded_writes(sample) == [3, 4]
    root = Path(__file__).resolve().parents[2] / "halite"
    found = {str(p.relative_to(root)): unguarded_writes(p.read_text()) for p in root.rglob("*.py")}
    assert len(found) > 20
    assert {k: v for k, v in found.items() if v and k != "io.py"} == {}
