"""``halite synth``: the command writes the three splits and reports them."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from halite.commands import main


def test_synth_writes_splits_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    args = ["--out-dir", str(out), "--num-train", "120", "--num-val", "30", "--num-test", "20"]
    assert main(["synth", *args, "--num-tracks", "8", "--seed", "5"]) == 0
    printed = capsys.readouterr().out
    assert "train.h5" in printed
    assert " s" in printed
    with h5py.File(out / "val.h5", "r") as f:
        assert f["tracks"].shape == (30, 8)


def test_synth_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["synth", "--help"])
    assert exc.value.code == 0
    assert "halite synth" in capsys.readouterr().out


def test_synth_flags_write_the_extra_datasets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--out-dir", str(tmp_path), "--num-train", "50", "--num-val", "10", "--num-test", "10"]
    assert main(["synth", *args, "--electrons", "--num-electrons", "4", "--soft-muons", "--parameters"]) == 0
    with h5py.File(tmp_path / "train.h5") as f:
        assert f["electrons"].shape == (50, 4)
        assert f["parameters"].shape == (50,)
        assert "softMuon_dR" in f["jets"].dtype.names
    assert main(["synth", *args, "--num-electrons", "0"]) == 2
    assert "--num-electrons must be >= 1" in capsys.readouterr().err
    assert main(["synth", *args, "--num-val", "-1"]) == 2
    assert "--num-val must be >= 0" in capsys.readouterr().err


def test_synth_and_convert_write_compressed_layouts(tmp_path: Path) -> None:
    """``halite synth --compression`` and ``halite convert`` (HDF5 -> HDF5) through the command line."""
    import os
    import subprocess
    import sys

    import hdf5plugin  # noqa: F401  (reads the LZ4 / Zstandard chunks here)
    import numpy as np

    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    halite = [sys.executable, "-m", "halite"]
    sizes = ["--num-train", "90", "--num-val", "10", "--num-test", "10", "--num-tracks", "6"]
    done = subprocess.run(
        [*halite, "synth", "--out-dir", str(tmp_path / "lz4"), *sizes, "--compression", "lz4", "--chunk-jets", "32"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "lz4)" in done.stdout
    out = tmp_path / "zstd.h5"
    done = subprocess.run(
        [*halite, "convert", str(tmp_path / "lz4" / "train.h5"), "--to", str(out), "--compression", "zstd"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote 90 jets" in done.stdout
    with h5py.File(tmp_path / "lz4" / "train.h5") as lz4, h5py.File(out) as zstd:
        assert lz4["tracks"].chunks == (32, 6) and "32004" in lz4["tracks"]._filters
        assert zstd["tracks"].chunks == (1000, 6) and "32015" in zstd["tracks"]._filters  # the default chunk
        for name in ("jets", "tracks"):
            assert np.array_equal(lz4[name][:], zstd[name][:])


def test_layout_option_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--out-dir", str(tmp_path), "--num-train", "5", "--num-val", "5", "--num-test", "5"]
    assert main(["synth", *args, "--chunk-jets", "0"]) == 2
    assert "--chunk-jets must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["synth", *args, "--compression", "lz5"])
    assert exc.value.code == 2
    assert "invalid choice: 'lz5'" in capsys.readouterr().err
    (tmp_path / "a.h5").touch()
    (tmp_path / "b.root").touch()
    with pytest.raises(SystemExit) as exc:
        main(["convert", str(tmp_path / "a.h5"), str(tmp_path / "b.root"), "--to", str(tmp_path / "c.h5")])
    assert exc.value.code == 2
    assert "mix ROOT / parquet with HDF5" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["convert", str(tmp_path / "b.root"), "--to", str(tmp_path / "c.h5")])
    assert exc.value.code == 2
    assert "ROOT / parquet inputs need --config" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["convert", str(tmp_path / "a.h5"), "--to", str(tmp_path / "c.h5"), "--config", "x.yaml"])
    assert exc.value.code == 2
    assert "--config is for ROOT / parquet inputs" in capsys.readouterr().err
