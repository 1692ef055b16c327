"""salt's data.config_s3 block and data.bucket / data.length_buckets, without an S3 server."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pytest
from jsonargparse.typing import SecretStr

from halite.data.config_s3 import ConfigS3, merge
from halite.data.datamodule import JetDataModule
from halite.data.prep import DEFAULT_VARIABLES


def module(data: dict[str, Path], **kwargs: object) -> JetDataModule:
    return JetDataModule(
        str(data["train"]),
        str(data["val"]),
        DEFAULT_VARIABLES,
        str(data["norm_dict"]),
        num_workers=0,
        **kwargs,
    )  # type: ignore[arg-type]


def test_use_S3_sets_credentials_and_endpoint(
    tiny_data: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fsspec.config, "conf", {})
    cfg = ConfigS3(pubKey=SecretStr("AKIAPUB"), secKey=SecretStr("sec-ret"), url="http://127.0.0.1:9")
    module(tiny_data, config_s3=cfg)
    assert "s3" not in fsspec.config.conf  # use_S3: false -> credentials unused, as in salt
    cfg.use_S3 = True
    module(tiny_data, config_s3=cfg)
    assert fsspec.config.conf["s3"] == {
        "endpoint_url": "http://127.0.0.1:9",
        "key": "AKIAPUB",
        "secret": "sec-ret",
    }
    assert "sec-ret" not in repr(cfg)


def test_remote_url_of_bucket_keys() -> None:
    cfg = ConfigS3(bucket="b")
    assert cfg.remote_url("/dir/train.h5") == "s3://b/dir/train.h5"
    assert cfg.remote_url("dir/train.h5") == "s3://b/dir/train.h5"
    assert cfg.remote_url("s3:/other/x.h5") == "s3://other/x.h5"
    assert cfg.remote_url("s3://other/x.h5") == "s3://other/x.h5"
    with pytest.raises(ValueError, match="data.config_s3.bucket is not set"):
        ConfigS3().remote_url("dir/train.h5")


def test_config_errors() -> None:
    with pytest.raises(ValueError, match=r"download_files names \['weights'\].*valid entries"):
        ConfigS3(download_files=["weights"])
    with pytest.raises(ValueError, match="download_path is not set"):
        ConfigS3(download_S3=True, download_files=["train_file"])
    with pytest.raises(ValueError, match="download_files is empty"):
        ConfigS3(download_S3=True, download_path="x")
    with pytest.raises(ValueError, match="config_s3 and data.config_S3 are both set"):
        merge(ConfigS3(), ConfigS3(), None)
    with pytest.raises(ValueError, match="needs the other S3 keys"):
        merge(None, None, "b")
    with pytest.raises(ValueError, match="differ; keep one"):
        merge(ConfigS3(bucket="a"), None, "b")


def test_bucket_string_is_the_s3_bucket(tiny_data: dict[str, Path]) -> None:
    dm = module(tiny_data, config_S3=ConfigS3(), bucket="my-bucket")  # salt < 0.11.1 spelling
    assert dm.config_s3 is not None and dm.config_s3.bucket == "my-bucket"
    assert dm.length_buckets is None and dm.bucketing


def test_old_bool_bucket_means_length_buckets(tiny_data: dict[str, Path]) -> None:
    with pytest.warns(FutureWarning, match="old name of data.length_buckets"):
        dm = module(tiny_data, bucket=False)
    assert not dm.length_buckets and dm.config_s3 is None
    assert not module(tiny_data, length_buckets=False).dataset("train").bucket
    assert module(tiny_data).dataset("train").bucket


def test_length_buckets_follow_a_packed_model(tiny_data: dict[str, Path]) -> None:
    """``length_buckets: None``: bucketed unless the model packs; an explicit value always wins."""
    dm = module(tiny_data)
    dm.use_packed_model(True)
    assert not dm.bucketing and not dm.dataset("train").bucket
    dm.use_packed_model(False)
    assert dm.dataset("train").bucket
    for explicit in (True, False):
        dm = module(tiny_data, length_buckets=explicit)
        dm.use_packed_model(True)
        assert dm.dataset("train").bucket is explicit
