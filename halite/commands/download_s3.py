"""``halite download-s3``: download a config's data.config_s3.download_files from S3, as salt's download_S3 does."""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite download-s3",
        description=(
            "Copy the files named by data.config_s3.download_files (salt's S3 block: pubKey, secKey, url, "
            "bucket, download_path) to download_path and write a copy of the config pointing at them "
            "(credentials left out). Files already there are not downloaded again."
        ),
    )
    p.add_argument(
        "-c", "--config", action="append", required=True, help="config file (repeat to merge several)"
    )
    p.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="local config to write (default: download_path/local_base.yaml)",
    )
    return p


def merged(paths: list[str]) -> dict[str, Any]:
    """The config files deep-merged in order (later files win), as one dict."""
    from halite.io import read_yaml

    def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    cfg: dict[str, Any] = {}
    for path in paths:
        raw = read_yaml(path)
        if not isinstance(raw, dict):
            msg = f"Config {path} is not a mapping of sections (data:, model:, ...)."
            raise ValueError(msg)
        cfg = merge(cfg, raw)
    return cfg


def s3_block(data: dict[str, Any]) -> tuple[str, Any]:
    """``(key, ConfigS3)`` of the ``data`` section (``config_s3``, or ``config_S3`` before salt 0.11.1)."""
    from dataclasses import fields

    from jsonargparse.typing import SecretStr

    from halite.data.config_s3 import ConfigS3

    keys = [k for k in ("config_s3", "config_S3") if isinstance(data.get(k), dict)]
    if not keys:
        msg = (
            "The config has no data.config_s3 block; add one with download_S3: true, pubKey, secKey, url, "
            "bucket, download_path and download_files."
        )
        raise ValueError(msg)
    raw = dict(data[keys[0]])
    valid = {f.name for f in fields(ConfigS3)}
    unknown = sorted(set(raw) - valid)
    if unknown:
        msg = f"data.{keys[0]} has unknown keys {unknown}; valid keys are {sorted(valid)}."
        raise ValueError(msg)
    for secret in ("pubKey", "secKey"):
        if raw.get(secret) is not None:
            raw[secret] = SecretStr(str(raw[secret]))
    config = ConfigS3(**raw)
    if not config.download_S3:
        msg = (
            f"data.{keys[0]}.download_S3 is false; set it to true to download data.{keys[0]}.download_files."
        )
        raise ValueError(msg)
    return keys[0], config


def main(argv: list[str]) -> int:
    """Entry point of ``halite download-s3``; 0 on success, 1 on a user error (printed to stderr)."""
    import yaml

    from halite.data.config_s3 import activate, fetch
    from halite.io import atomic_path

    args = parser().parse_args(argv)
    cfg = merged(args.config)
    data = cfg.get("data")
    if not isinstance(data, dict):
        msg = f"{args.config} has no data: section."
        raise ValueError(msg)
    if isinstance(data.get("init_args"), dict):
        data = data["init_args"]
    key, config = s3_block(data)
    activate(config)
    local = fetch(config, data)
    for name, path in local.items():
        print(f"data.{name}: {path}")
    out_cfg = copy.deepcopy(cfg)
    out_data = out_cfg["data"]["init_args"] if "init_args" in out_cfg["data"] else out_cfg["data"]
    out_data.update(local)
    out_data[key] = {k: v for k, v in out_data[key].items() if k not in ("pubKey", "secKey")}
    out = args.out or Path(str(config.download_path)) / "local_base.yaml"
    with atomic_path(out) as tmp:
        tmp.write_text(yaml.safe_dump(out_cfg, sort_keys=False))
    print(f"Wrote {out}: the config with these local paths (credentials left out).")
    return 0
