"""Atomic file output: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception (including a full disk) the temporary file is removed and the
    previous file under ``path``, if any, is left untouched.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, final)
    except OSError as err:
        tmp_path.unlink(missing_ok=True)
        if err.errno == errno.ENOSPC:
            msg = f"No space left on device while writing {final}; the previous file (if any) is unchanged. Free disk space and retry."
            raise OSError(errno.ENOSPC, msg) from err
        raise
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_yaml(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as YAML atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(yaml.safe_dump(data, sort_keys=False))


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """Read a YAML file (local path or fsspec URL such as ``s3://``) with an error naming it if missing."""
    if "://" in str(path) and not str(path).startswith("file://"):
        import fsspec

        try:
            with fsspec.open(str(path), "r") as f:
                return yaml.safe_load(f)
        except FileNotFoundError as err:
            msg = f"YAML file not found: {path}. Check the URL in your config and the credentials / endpoint."
            raise FileNotFoundError(msg) from err
    p = Path(path)
    if not p.is_file():
        msg = f"YAML file not found: {p}. Check the path in your config."
        raise FileNotFoundError(msg)
    with p.open() as f:
        return yaml.safe_load(f)
