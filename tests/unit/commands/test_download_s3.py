"""`halite download-s3` through a `halite` subprocess against a moto S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT
from tests.integration.test_s3 import KEY, SECRET, s3_server, upload
from tests.integration.test_s3_salt_keys import salt_config

__all__ = ["s3_server"]  # the fixture


def test_download_s3_command(s3_server: str, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    upload(s3_server, tiny_data)
    cfg = salt_config(s3_server, tiny_data, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "halite", "download-s3", "-c", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr and KEY not in run.stdout + run.stderr
    folder = tmp_path / "s3_data"
    assert (folder / "class_dict.yaml").read_bytes() == tiny_data["class_dict"].read_bytes()
    local = yaml.safe_load((folder / "local_base.yaml").read_text())
    assert local["data"]["train_file"] == str(folder / "train.h5")
    assert (
        "secKey" not in local["data"]["config_s3"] and SECRET not in (folder / "local_base.yaml").read_text()
    )
    bad = yaml.safe_load(cfg.read_text())
    bad["data"]["config_s3"]["download_files"] = ["weights"]
    cfg.write_text(yaml.safe_dump(bad))
    run = subprocess.run(
        [sys.executable, "-m", "halite", "download-s3", "-c", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 2 and "valid entries are ['train_file'" in run.stderr
