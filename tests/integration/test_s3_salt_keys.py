"""salt's S3 keys (data.config_s3) against a moto S3 server: one test per key, and `halite download-s3`."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pytest
import yaml

from halite.commands import main
from halite.data.config_s3 import ConfigS3
from halite.data.datamodule import JetDataModule
from halite.data.prep import DEFAULT_VARIABLES
from tests.conftest import tiny_config
from tests.integration.test_s3 import KEY, SECRET, s3_server, upload

__all__ = ["s3_server"]  # the fixture


def block(endpoint: str, tmp_path: Path, **kwargs: object) -> dict[str, object]:
    """salt's config_s3 block as written in YAML."""
    return {
        "use_S3": True,
        "download_S3": True,
        "pubKey": KEY,
        "secKey": SECRET,
        "url": endpoint,
        "bucket": "halite-data",
        "download_path": str(tmp_path / "s3_data"),
        "download_files": ["train_file", "val_file", "norm_dict", "class_dict"],
        **kwargs,
    }


def salt_config(endpoint: str, data: dict[str, Path], tmp_path: Path, **s3: object) -> Path:
    """A tiny config whose files are object keys in the bucket, as salt writes them."""
    cfg = tiny_config("demo.yaml", data, tmp_path, num_train=200, num_val=100)
    raw = yaml.safe_load(cfg.read_text())
    for key, name in (
        ("train_file", "train"),
        ("val_file", "val"),
        ("norm_dict", "norm_dict"),
        ("class_dict", "class_dict"),
    ):
        raw["data"][key] = f"/tiny/{data[name].name}"
    raw["data"].pop("test_file")
    raw["data"]["config_s3"] = block(endpoint, tmp_path, **s3)
    cfg.write_text(yaml.safe_dump(raw))
    return cfg


def datamodule(data: dict[str, Path], cfg: ConfigS3, **files: str) -> JetDataModule:
    paths = {
        "train_file": "/tiny/train.h5",
        "val_file": "/tiny/val.h5",
        "norm_dict": "/tiny/norm_dict.yaml",
        **files,
    }
    return JetDataModule(
        paths["train_file"], paths["val_file"], DEFAULT_VARIABLES, paths["norm_dict"], num_workers=0,
        class_dict="/tiny/class_dict.yaml", config_s3=cfg,
    )  # fmt: skip


def config(endpoint: str, tmp_path: Path, **kwargs: object) -> ConfigS3:
    raw = block(endpoint, tmp_path, **kwargs)
    from jsonargparse.typing import SecretStr

    for k in ("pubKey", "secKey"):
        if raw[k] is not None:
            raw[k] = SecretStr(str(raw[k]))
    return ConfigS3(**raw)  # type: ignore[arg-type]


def test_use_S3_streams_with_the_block_credentials(
    s3_server: str, tiny_data: dict[str, Path], tmp_path: Path
) -> None:
    upload(s3_server, tiny_data)
    cfg = config(s3_server, tmp_path, download_S3=False, download_files=[])
    dm = datamodule(
        tiny_data, cfg, train_file="s3://halite-data/tiny/train.h5", val_file="s3://halite-data/tiny/val.h5"
    )
    assert dm.train_file == "s3://halite-data/tiny/train.h5"  # streamed, not downloaded
    assert len(dm.dataset("val")) > 0
    assert not (tmp_path / "s3_data").exists()


def test_download_S3_pubKey_secKey_url_bucket(
    s3_server: str, tiny_data: dict[str, Path], tmp_path: Path
) -> None:
    upload(s3_server, tiny_data)
    dm = datamodule(tiny_data, config(s3_server, tmp_path))
    folder = tmp_path / "s3_data"
    assert dm.train_file == str(folder / "train.h5") and dm.norm_dict == str(folder / "norm_dict.yaml")
    assert (folder / "train.h5").read_bytes() == tiny_data["train"].read_bytes()
    fs = fsspec.filesystem("s3")
    assert (fs.key, fs.secret, fs.client_kwargs.get("endpoint_url") or fs.endpoint_url) == (
        KEY,
        SECRET,
        s3_server,
    )


def test_url_is_the_endpoint(s3_server: str, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    upload(s3_server, tiny_data)
    from botocore.exceptions import EndpointConnectionError

    with pytest.raises(EndpointConnectionError, match="127.0.0.1:1"):  # nothing listens there
        datamodule(tiny_data, config("http://127.0.0.1:1", tmp_path, download_files=["norm_dict"]))
    fsspec.filesystem("s3").clear_instance_cache()
    assert datamodule(
        tiny_data, config(s3_server, tmp_path, download_files=["norm_dict"])
    ).norm_dict.endswith("norm_dict.yaml")


def test_bucket_names_the_objects(s3_server: str, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    upload(s3_server, tiny_data)
    with pytest.raises(FileNotFoundError):
        datamodule(tiny_data, config(s3_server, tmp_path, bucket="halite-runs", download_files=["norm_dict"]))
    dm = datamodule(
        tiny_data, config(s3_server, tmp_path, bucket="halite-data", download_files=["norm_dict"])
    )
    assert Path(dm.norm_dict).read_bytes() == tiny_data["norm_dict"].read_bytes()


def test_download_path_and_download_files(s3_server: str, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    upload(s3_server, tiny_data)
    dm = datamodule(
        tiny_data,
        config(s3_server, tmp_path, download_path=str(tmp_path / "here"), download_files=["val_file"]),
    )
    assert (
        dm.val_file == str(tmp_path / "here" / "val.h5") and dm.train_file == "/tiny/train.h5"
    )  # only listed keys
    assert sorted(p.name for p in (tmp_path / "here").iterdir()) == ["val.h5"]
    (tmp_path / "here" / "val.h5").write_bytes(b"local")  # a file already there is used, not downloaded again
    datamodule(
        tiny_data,
        config(s3_server, tmp_path, download_path=str(tmp_path / "here"), download_files=["val_file"]),
    )
    assert (tmp_path / "here" / "val.h5").read_bytes() == b"local"


def test_fit_downloads_data_and_dicts_and_never_saves_credentials(
    s3_server: str, tiny_data: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    upload(s3_server, tiny_data)
    cfg = salt_config(s3_server, tiny_data, tmp_path)
    main(["fit", "--config", str(cfg), "--trainer.max_epochs=1"])
    folder = tmp_path / "s3_data"
    assert sorted(p.name for p in folder.iterdir()) == [
        "class_dict.yaml",
        "norm_dict.yaml",
        "train.h5",
        "val.h5",
    ]
    (run,) = (tmp_path / "logs").iterdir()
    saved = (run / "config.yaml").read_text()
    assert "**********" in saved and SECRET not in saved and KEY not in saved
    assert yaml.safe_load(saved)["data"]["config_s3"]["bucket"] == "halite-data"
    assert (run / "norm_dict.yaml").read_bytes() == tiny_data["norm_dict"].read_bytes()
    out = capfd.readouterr()
    assert SECRET not in out.out + out.err and KEY not in out.out + out.err

    # the saved run config loads again (masked credentials given again or dropped; files found locally)
    old = yaml.safe_load(saved)
    old["data"]["config_s3"].update(pubKey=None, secKey=None)
    old["data"]["bucket"] = True  # an old run config: bool bucket = length bucketing
    del old["data"]["length_buckets"]
    old["data"]["norm_dict"] = "/tiny/norm_dict.yaml"  # not the run copy: fetched from download_path
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old))
    from halite.commands._build import build_from_config
    from halite.training.restore import load_config

    raw = load_config(tmp_path / "old.yaml")
    with pytest.warns(FutureWarning, match="old name of data.length_buckets"):
        cli = build_from_config(raw)
    assert cli.datamodule.length_buckets and cli.datamodule.norm_dict == str(folder / "norm_dict.yaml")
