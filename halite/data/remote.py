"""Remote files (S3 and other fsspec URLs): credentials, streaming and a local download cache.

Credentials come from the standard AWS variables (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, profiles), which s3fs / botocore read
themselves, or from the ``s3:`` section of the config, whose secrets are ``SecretStr``
values: the saved config shows ``**********`` in their place.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
from jsonargparse.typing import SecretStr

from halite.errors import DataFileNotFound
from halite.io import atomic_path, remote_writer

log = logging.getLogger(__name__)


@dataclass
class S3Config:
    """S3 connection options (each unset one falls back to the AWS environment).

    Parameters
    ----------
    endpoint_url
        S3 API endpoint of a non-AWS store (MinIO, Ceph, EOS S3, ...).
    key, secret
        Access key id and secret access key; never written to the saved config.
    region
        Region name.
    """

    endpoint_url: str | None = None
    key: SecretStr | None = None
    secret: SecretStr | None = None
    region: str | None = None


def is_remote(path: str | os.PathLike[str]) -> bool:
    """True for fsspec URLs such as ``s3://bucket/key`` (not for local paths or ``file://``)."""
    text = str(path)
    return "://" in text and not text.startswith("file://")


def configure_s3(config: S3Config | None) -> None:
    """Make ``config`` the default of every s3 filesystem fsspec creates in this process.

    Lightning's checkpoint and logger I/O go through fsspec as well, so they use it too.
    """
    if config is None:
        return
    options: dict[str, Any] = {}
    if config.endpoint_url:
        options["endpoint_url"] = config.endpoint_url
    if config.key is not None:
        options["key"] = config.key.get_secret_value()
    if config.secret is not None:
        options["secret"] = config.secret.get_secret_value()
    if config.region:
        options["client_kwargs"] = {"region_name": config.region}
    fsspec.config.conf["s3"] = {**fsspec.config.conf.get("s3", {}), **options}


def filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem of ``url`` and the path within it."""
    fs, path = fsspec.core.url_to_fs(url)
    return fs, path


def remote_files(pattern: str) -> list[str]:
    """Expand a remote path or glob into existing file URLs (sorted)."""
    fs, path = filesystem(pattern)
    protocol = pattern.split("://", 1)[0]
    if any(c in path for c in "*?["):
        matches = sorted(fs.glob(path))
        if not matches:
            msg = (
                f"No files match the glob '{pattern}'. Check the URL in data.*_file and the bucket contents."
            )
            raise DataFileNotFound(msg)
        return [f"{protocol}://{m}" for m in matches]
    if not fs.isfile(path):
        msg = f"Input file not found: {pattern}. Check the URL in data.*_file and the credentials / endpoint."
        raise DataFileNotFound(msg)
    return [pattern]


def open_remote(url: str, mode: str = "rb") -> Any:
    """Open a remote file for streaming reads (read-ahead cache in large blocks)."""
    fs, path = filesystem(url)
    if "r" in mode:
        return fs.open(path, mode, block_size=8 * 2**20, cache_type="readahead")
    return fs.open(path, mode)


def download(
    url: str, cache_dir: str | os.PathLike[str], target: str | os.PathLike[str] | None = None
) -> Path:
    """Copy ``url`` to ``target`` (default ``cache_dir/<bucket>/<key>``) unless a file of the same size is there."""
    fs, path = filesystem(url)
    local = Path(target) if target is not None else Path(cache_dir) / path.lstrip("/")
    size = fs.size(path)
    if local.is_file() and local.stat().st_size == size:
        return local
    with atomic_path(local) as tmp:
        fs.get_file(path, str(tmp))
    log.info(f"Downloaded {url} -> {local}")
    return local


def join(root: str | os.PathLike[str], *parts: str) -> str | Path:
    """``root / parts`` for local paths, ``root/parts`` (string) for URLs."""
    if is_remote(root):
        return "/".join([str(root).rstrip("/"), *parts])
    return Path(root).joinpath(*parts)


def copy_file(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Copy between local paths and/or URLs (local targets written atomically)."""
    with fsspec.open(str(src), "rb") as f:
        data = f.read()
    if is_remote(dst):
        with remote_writer(str(dst)) as g:
            g.write(data)
        return
    with atomic_path(dst) as tmp:
        tmp.write_bytes(data)
