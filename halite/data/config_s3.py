"""salt's ``data.config_s3``: S3 credentials and endpoint, and data files copied to a local folder.

salt spells its S3 options as one ``config_s3`` block of the ``data`` section (``config_S3`` before
salt 0.11.1)::

    data:
      config_s3:
        use_S3: true          # credentials and endpoint for every s3:// path of the run
        download_S3: true     # copy the files of download_files before the run
        pubKey: ...           # access key id
        secKey: ...           # secret access key
        url: https://s3.cern.ch
        bucket: my-bucket
        download_path: /tmp/s3_data
        download_files: [train_file, val_file, norm_dict, class_dict]

As in salt, each entry of ``download_files`` names a key of the ``data`` section whose value is an
object key in ``bucket`` (a leading ``/`` is dropped; a full ``s3://bucket/key`` URL is used as it
is); the object lands at ``download_path/<file name>``, a file already there is used without
contacting S3, and the ``data`` key then points at the local copy. The keys are SecretStr values:
the saved config shows ``**********`` in their place, and they are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jsonargparse.typing import SecretStr

from halite.data.remote import S3Config, configure_s3, download, remote_files
from halite.errors import DataError

log = logging.getLogger(__name__)

#: ``data`` keys whose files ``download_files`` may name
DOWNLOADABLE = ("train_file", "val_file", "test_file", "norm_dict", "class_dict")


@dataclass
class ConfigS3:
    """salt's ``data.config_s3`` block.

    Parameters
    ----------
    use_S3
        Use S3: ``pubKey``, ``secKey`` and ``url`` become the credentials and endpoint of every
        ``s3://`` path of the run (data files, norm / class dicts, ``trainer.default_root_dir``).
    download_S3
        Copy the files named by ``download_files`` from ``bucket`` to ``download_path`` before
        reading them (implies ``use_S3``'s credentials).
    pubKey, secKey
        Access key id and secret access key; never written to the saved config or the logs.
    url
        S3 API endpoint (``https://s3.cern.ch`` for CERN OpenStack).
    bucket
        Bucket holding the files of ``download_files``.
    download_path
        Local folder the files are copied to (``download_path/<file name>``).
    download_files
        ``data`` keys (``train_file``, ``val_file``, ``test_file``, ``norm_dict``, ``class_dict``)
        whose files are downloaded.
    """

    use_S3: bool = False
    download_S3: bool = False
    pubKey: SecretStr | None = None
    secKey: SecretStr | None = None
    url: str | None = None
    bucket: str | None = None
    download_path: str | None = None
    download_files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = [k for k in self.download_files if k not in DOWNLOADABLE]
        if unknown:
            msg = (
                f"data.config_s3.download_files names {unknown}, which are not data keys with files; "
                f"valid entries are {list(DOWNLOADABLE)}."
            )
            raise DataError(msg)
        if self.download_S3 and not self.download_path:
            msg = "data.config_s3.download_S3 is true but download_path is not set; set the local folder."
            raise DataError(msg)
        if self.download_S3 and not self.download_files:
            msg = (
                "data.config_s3.download_S3 is true but download_files is empty; list the data keys to "
                f"download, e.g. [train_file, val_file, norm_dict, class_dict] (valid: {list(DOWNLOADABLE)})."
            )
            raise DataError(msg)

    @property
    def active(self) -> bool:
        """Whether the credentials are used (``use_S3`` or ``download_S3``), as salt decides."""
        return self.use_S3 or self.download_S3

    def s3_config(self) -> S3Config:
        """The same credentials and endpoint as halite's own ``s3:`` section."""
        return S3Config(endpoint_url=self.url, key=self.pubKey, secret=self.secKey)

    def remote_url(self, path: str) -> str:
        """The ``s3://`` URL of a ``data`` value: an object key in ``bucket`` or a full URL."""
        text = str(path)
        if text.startswith("s3://"):
            return text
        if text.startswith("s3:/"):
            return "s3://" + text[len("s3:/") :]
        if not self.bucket:
            msg = (
                f"data.config_s3.bucket is not set, so the object key '{text}' has no bucket; set "
                f"data.config_s3.bucket or write the path as s3://<bucket>/<key>."
            )
            raise DataError(msg)
        return f"s3://{self.bucket}/{text.lstrip('/')}"


def merge(config_s3: ConfigS3 | None, config_S3: ConfigS3 | None, bucket: str | None) -> ConfigS3 | None:
    """One block from salt's spellings: ``config_s3``, ``config_S3`` (salt < 0.11.1), ``data.bucket``."""
    if config_s3 is not None and config_S3 is not None:
        msg = "data.config_s3 and data.config_S3 are both set; keep one (config_s3 is salt 0.13's spelling)."
        raise DataError(msg)
    config = config_s3 if config_s3 is not None else config_S3
    if bucket is None:
        return config
    if config is None:
        msg = (
            f"data.bucket='{bucket}' is salt's S3 bucket, which needs the other S3 keys: add "
            f"data.config_s3 (use_S3, download_S3, pubKey, secKey, url, download_path, download_files). "
            f"Length-bucketed batches are data.length_buckets."
        )
        raise DataError(msg)
    if config.bucket not in (None, bucket):
        msg = f"data.bucket='{bucket}' and data.config_s3.bucket='{config.bucket}' differ; keep one."
        raise DataError(msg)
    config.bucket = bucket
    return config


def activate(config: ConfigS3) -> None:
    """Use the block's credentials and endpoint for every s3 filesystem of this process."""
    if config.active:
        configure_s3(config.s3_config())


def fetch(config: ConfigS3, data: Mapping[str, str | list[str] | None]) -> dict[str, str | list[str]]:
    """Download the files of ``config.download_files``; returns the new values of those ``data`` keys.

    ``data`` maps ``data`` keys to their values (a path, or a list of paths for the file splits).
    """
    assert config.download_path is not None  # checked in ConfigS3
    folder = Path(config.download_path)
    out: dict[str, str | list[str]] = {}
    for key in config.download_files:
        value = data.get(key)
        if value is None:
            msg = f"data.config_s3.download_files lists '{key}' but data.{key} is not set; set it or drop the entry."
            raise DataError(msg)
        values = [value] if isinstance(value, str) else list(value)
        local: list[str] = []
        for item in values:
            url = config.remote_url(item)
            urls = remote_files(url) if any(c in url for c in "*?[") else [url]
            for one in urls:
                target = folder / one.rsplit("/", 1)[-1]
                if target.is_file():
                    log.info(f"{one} found locally at {target}, not downloaded.")
                else:
                    download(one, folder, target=target)
                local.append(str(target))
        out[key] = local[0] if isinstance(value, str) and len(local) == 1 else local
    return out
