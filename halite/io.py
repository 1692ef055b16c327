"""Atomic file output: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from halite.errors import ConfigError, ConfigFileNotFound


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
    except BaseException as err:
        tmp_path.unlink(missing_ok=True)
        full = _disk_full(err)
        if full is not None:  # also when a library (h5py) failed again while closing the file
            reason = "No space left on device" if full == errno.ENOSPC else os.strerror(full)
            msg = f"{reason} while writing {final}; the previous file (if any) is unchanged. Free disk space (or raise the quota / file size limit) and retry."
            raise OSError(full, msg) from err
        raise


#: errno values of a write that failed for lack of room: full disk, file size limit, quota
_NO_ROOM = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def _disk_full(err: BaseException) -> int | None:
    """The errno of the first out-of-room ``OSError`` in ``err``'s chain of exceptions, else ``None``."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _NO_ROOM:
            return current.errno
        current = current.__cause__ or current.__context__
    return None


@contextlib.contextmanager
def remote_writer(url: str) -> Iterator[IO[bytes]]:
    """Open an fsspec URL (``s3://...``) for writing.

    Object stores publish an object only once its upload completes, so readers never see
    a partial file: the remote counterpart of ``atomic_path``.
    """
    import fsspec

    with fsspec.open(url, "wb") as f:
        yield f


def write_yaml(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as YAML atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(yaml.safe_dump(data, sort_keys=False))


#: libyaml's parser where PyYAML has it: the same values as ``yaml.safe_load`` (the constructor and
#: resolver are the same Python classes), parsed about 7x faster
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_load(f: IO[str]) -> Any:
    """``yaml.safe_load(f)`` with libyaml's parser; a document it refuses is parsed again by PyYAML's
    own parser, so that the error (file, line, column) reads as it always did."""
    try:
        loader = _FAST_LOADER(f)  # a safe loader (SafeConstructor): what yaml.safe_load runs, faster parser
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        f.seek(0)
        return yaml.safe_load(f)


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """Read a YAML file (local path or fsspec URL such as ``s3://``) with an error naming it if missing."""
    if "://" in str(path) and not str(path).startswith("file://"):
        import fsspec

        try:
            with fsspec.open(str(path), "r") as f:
                return yaml.safe_load(f)
        except FileNotFoundError as err:
            msg = f"YAML file not found: {path}. Check the URL in your config and the credentials / endpoint."
            raise ConfigFileNotFound(msg) from err
    p = Path(path)
    if not p.is_file():
        msg = f"YAML file not found: {p}. Check the path in your config."
        raise ConfigFileNotFound(msg)
    with p.open() as f:
        try:
            return _safe_load(f)
        except yaml.YAMLError as err:
            msg = f"{p} is not valid YAML ({err}). Fix the syntax at the line and column named above."
            raise ConfigError(msg) from err
