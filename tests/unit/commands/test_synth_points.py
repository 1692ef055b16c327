"""``halite synth-points``: the command writes a sample's three splits and checks its sizes."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from halite.commands import main


@pytest.mark.parametrize(
    ("sample", "glob", "cons"), [("events", "events", "hits"), ("jets", "jets", "particles")]
)
def test_synth_points_writes_splits(
    sample: str, glob: str, cons: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sizes = ["--num-train", "20", "--num-val", "8", "--num-test", "6", "--slots", "12"]
    assert main(["synth-points", "--sample", sample, "--out-dir", str(tmp_path), *sizes]) == 0
    printed = capsys.readouterr().out
    assert "train.h5" in printed and "done in" in printed
    with h5py.File(tmp_path / "val.h5") as f:
        assert f[glob].shape == (8,)
        assert f[cons].shape == (8, 12)


def test_synth_points_rejects_bad_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth-points", "--sample", "jets", "--out-dir", str(tmp_path), "--slots", "0"]) == 2
    assert "--slots must be >= 1" in capsys.readouterr().err
    assert not (tmp_path / "train.h5").exists()
    with pytest.raises(SystemExit) as exc:
        main(["synth-points", "--sample", "nope", "--out-dir", str(tmp_path)])
    assert exc.value.code == 2
