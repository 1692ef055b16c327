"""Fit and test against a real S3 API: moto in server mode on 127.0.0.1, started by the fixture."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import fsspec
import h5py
import numpy as np
import pytest
import yaml

from halite.commands import main
from halite.data.readers import expand_files, open_h5
from tests.conftest import tiny_config

KEY, SECRET = "AKIAHALITETESTKEY", "halite-secret-never-saved-8c1f"
AWS_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A moto S3 server on a free loopback port; no AWS credentials in the environment."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"))
    for var in AWS_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no_aws_config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no_aws_credentials"))
    monkeypatch.setattr(fsspec.config, "conf", {})
    fsspec.filesystem("s3").clear_instance_cache()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        fsspec.filesystem("s3").clear_instance_cache()
        server.stop()


def upload(endpoint: str, data: dict[str, Path]) -> fsspec.AbstractFileSystem:
    fs = fsspec.filesystem("s3", endpoint_url=endpoint, key=KEY, secret=SECRET, skip_instance_cache=True)
    fs.mkdir("halite-data")
    fs.mkdir("halite-runs")
    for name in ("train", "val", "test", "norm_dict", "class_dict"):
        fs.put_file(str(data[name]), f"halite-data/tiny/{data[name].name}")
    return fs


def test_fit_and_test_on_s3(
    s3_server: str, tiny_data: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    fs = upload(s3_server, tiny_data)
    remote = {
        k: f"s3://halite-data/tiny/{tiny_data[k].name}"
        for k in ("train", "val", "test", "norm_dict", "class_dict")
    }
    cfg = tiny_config("demo.yaml", remote, tmp_path, num_train=200, num_val=100, num_test=100)  # type: ignore[arg-type]
    raw = yaml.safe_load(cfg.read_text())
    raw["trainer"]["default_root_dir"] = "s3://halite-runs/logs"
    raw["s3"] = {"endpoint_url": s3_server, "key": KEY, "secret": SECRET}  # credentials as config keys
    cfg.write_text(yaml.safe_dump(raw))

    # fit: data streamed from S3, run directory and checkpoints written to S3
    main(["fit", "--config", str(cfg)])
    (run,) = fs.ls("halite-runs/logs")
    files = {p.rsplit("/", 1)[-1] for p in fs.find(run)}
    assert {"config.yaml", "metrics.csv", "norm_dict.yaml", "class_dict.yaml", "last.ckpt"} <= files
    saved = fs.cat(f"{run}/config.yaml").decode()
    assert "**********" in saved

    # test: data downloaded to a local cache first, checkpoint read from S3, predictions written to S3
    cache = tmp_path / "cache"
    test_args = ["--ckpt_path", f"s3://{run}/ckpts/last.ckpt", "--data.download_s3=true"]
    main(["test", "--config", str(cfg), *test_args, f"--data.download_path={cache}"])
    assert (cache / "halite-data" / "tiny" / "test.h5").is_file()
    (pred,) = fs.glob(f"{run}/predictions/*.h5")
    with fs.open(pred, "rb") as f, h5py.File(f) as h:
        probs = np.stack([h["jets"][f"demo_p{c}"] for c in "bcu"], axis=1)
    assert probs.shape == (100, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)

    # the credentials never reach the saved config, the logs or the console
    out = capfd.readouterr()
    texts = [out.out, out.err] + [
        fs.cat(p).decode(errors="replace") for p in fs.find(run) if not p.endswith((".ckpt", ".h5"))
    ]
    for text in texts:
        assert SECRET not in text and KEY not in text


def test_remote_globs_and_missing(
    s3_server: str, tiny_data: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    upload(s3_server, tiny_data)
    monkeypatch.setattr(
        fsspec.config, "conf", {"s3": {"endpoint_url": s3_server, "key": KEY, "secret": SECRET}}
    )
    files = expand_files("s3://halite-data/tiny/*.h5")
    assert files == [f"s3://halite-data/tiny/{n}" for n in ("test.h5", "train.h5", "val.h5")]
    with open_h5(files[0]) as f:
        assert len(f["jets"]) == 400
    with pytest.raises(FileNotFoundError, match="Input file not found: s3://halite-data/tiny/nope.h5"):
        expand_files("s3://halite-data/tiny/nope.h5")
    with pytest.raises(FileNotFoundError, match="No files match the glob 's3://halite-data/x/\\*.h5'"):
        expand_files("s3://halite-data/x/*.h5")
