"""``bench/vs_omnilearned.py``'s halite side and table on OmniLearned's pinned numbers (no OmniLearned needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

from bench import vs_omnilearned
from tests.unit.nn.pet2 import omnilearned_small as pinned
from tests.unit.nn.pet2 import seeded

ROOT = Path(__file__).resolve().parents[2]


def peer_small() -> dict:
    """What the worker reports for the small preset, from the pinned OmniLearned measurements."""
    return {
        "count_plain": pinned.COUNTS["small"]["plain"],
        "count_fixture": pinned.COUNTS["small"]["fixture"],
        "state": seeded.seeded_state(pinned.KEYS),
        "jets": seeded.seeded_jets(),
        "logits": torch.tensor(pinned.LOGITS),
        "time_per_jet": 0.002,
    }


def test_halite_row_matches_pinned_omnilearned_and_table() -> None:
    row = vs_omnilearned.halite_row("small", peer_small(), reps=1)
    assert row["hl_plain"] == row["ol_plain"] and row["hl_fixture"] == row["ol_fixture"]
    assert row["max_diff"] < vs_omnilearned.TOL and row["hl_ms"] > 0
    counts_only = vs_omnilearned.halite_row("large", {"count_plain": 1, "count_fixture": 2}, reps=1)
    assert "max_diff" not in counts_only and not vs_omnilearned.passes(counts_only)  # counts differ
    table = vs_omnilearned.format_table([row, counts_only])
    assert "| small | 2,705,069 / 2,760,759 | 2,705,069 / 2,760,759 |" in table
    assert table.splitlines()[-1].endswith("| NO |") and "| 2.00 |" in table


def test_environment_check_and_help(tmp_path: Path) -> None:
    assert "does not exist" in (vs_omnilearned.check(tmp_path / "python") or "")
    assert "PYTHONPATH" not in vs_omnilearned.peer_env()
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "vs_omnilearned.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0 and "make test" in res.stdout
