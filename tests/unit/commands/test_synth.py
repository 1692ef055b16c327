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
