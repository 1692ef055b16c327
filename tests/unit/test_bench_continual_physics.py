"""bench/continual_physics.py runs end to end in its smoke mode and prints every method's row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_continual_physics_smoke(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "continual_physics.py"), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout
    flavour, pt = out.split("\npt:")
    for name in ("Finetuning", "EWC", "Replay", "Independent", "LwF"):
        row = next(line for line in flavour.splitlines() if line.strip().startswith(name))
        assert row.count("+-") == 4  # average accuracy, BWT, FWT, forgetting
    assert "LwF          skipped: NotImplementedError" in pt
    for name in ("Finetuning", "EWC", "Replay", "Independent"):
        row = next(line for line in pt.splitlines() if line.strip().startswith(name))
        assert row.count("+-") == 4
    assert (tmp_path / "pt_EWC_seed0" / "resolution_matrix.csv").is_file()
    assert (tmp_path / "flavour_Replay_seed0" / "forward_transfer.csv").is_file()
    assert (
        "make test"
        in subprocess.run(
            [sys.executable, str(ROOT / "bench" / "continual_physics.py"), "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
    )
