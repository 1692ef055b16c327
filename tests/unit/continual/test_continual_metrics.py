"""Forward transfer, score orientation (resolution: lower is better) and the metric files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from halite.continual.metrics import (
    average_accuracy,
    average_forgetting,
    backward_transfer,
    forgetting,
    forward_transfer,
    summarise,
    write_continual_metrics,
)

# R[t, i] with the superdiagonal R[i-1, i] (task i before learning it) filled
R = np.array(
    [
        [0.90, 0.40, np.nan, np.nan],
        [0.60, 0.80, 0.55, np.nan],
        [0.50, 0.70, 0.95, 0.20],
        [0.55, 0.65, 0.90, 0.85],
    ]
)
B = np.array([0.30, 0.35, 0.50, 0.25])  # random initialisation


def test_forward_transfer_is_gems_formula() -> None:
    # GEM (Lopez-Paz & Ranzato 2017): FWT = 1/(T-1) sum_{i=2..T} (R_{i-1,i} - b_i), tasks from 1
    T = len(R)
    gem = sum(R[i - 2, i - 1] - B[i - 1] for i in range(2, T + 1)) / (T - 1)
    fwt = forward_transfer(R, B)
    assert np.isnan(fwt[0])
    assert fwt[-1] == pytest.approx(gem)
    assert fwt[-1] == pytest.approx(((0.40 - 0.35) + (0.55 - 0.50) + (0.20 - 0.25)) / 3)
    assert fwt[1] == pytest.approx(0.40 - 0.35) and fwt[2] == pytest.approx(
        ((0.40 - 0.35) + (0.55 - 0.50)) / 2
    )
    with pytest.raises(ValueError, match="one random-initialisation score per task"):
        forward_transfer(R, B[:3])


def test_superdiagonal_does_not_enter_the_other_metrics() -> None:
    lower = np.where(np.tril(np.ones_like(R, dtype=bool)), R, np.nan)
    np.testing.assert_allclose(average_accuracy(R), average_accuracy(lower))
    np.testing.assert_allclose(backward_transfer(R), backward_transfer(lower))
    np.testing.assert_allclose(forgetting(R), forgetting(lower))
    # BWT (GEM) = 1/(T-1) sum_{i=1..T-1} (R_{T,i} - R_{i,i}); forgetting (RWalk) = max_{l<T} R_{l,i} - R_{T,i}
    assert backward_transfer(R)[-1] == pytest.approx(((0.55 - 0.90) + (0.65 - 0.80) + (0.90 - 0.95)) / 3)
    assert average_forgetting(R)[-1] == pytest.approx(((0.90 - 0.55) + (0.80 - 0.65) + (0.95 - 0.90)) / 3)
    assert average_accuracy(R)[-1] == pytest.approx((0.55 + 0.65 + 0.90 + 0.85) / 4)


# a resolution matrix: lower is better
S = np.array([[0.10, 0.30, np.nan], [0.12, 0.09, 0.20], [0.08, 0.11, 0.15]])
SB = np.array([0.5, 0.4, 0.6])


def test_lower_is_better_signs() -> None:
    # positive BWT = the old tasks' resolution got smaller; positive FWT = better than random init;
    # positive forgetting = the resolution grew above its best
    bwt = backward_transfer(S, higher_is_better=False)
    assert bwt[1] == pytest.approx(0.10 - 0.12)
    assert bwt[2] == pytest.approx(((0.10 - 0.08) + (0.09 - 0.11)) / 2)
    fwt = forward_transfer(S, SB, higher_is_better=False)
    assert fwt[2] == pytest.approx(((0.4 - 0.30) + (0.6 - 0.20)) / 2)
    f = forgetting(S, higher_is_better=False)
    assert f[1, 0] == pytest.approx(0.12 - 0.10)
    assert f[2, 0] == pytest.approx(0.08 - 0.10)  # min over l in {0, 1} is 0.10
    assert f[2, 1] == pytest.approx(0.11 - 0.09)
    assert average_forgetting(S, higher_is_better=False)[2] == pytest.approx(
        ((0.08 - 0.10) + (0.11 - 0.09)) / 2, abs=1e-12
    )
    # orientation = the accuracy formulas on -S
    np.testing.assert_allclose(backward_transfer(S, False), backward_transfer(-S))
    np.testing.assert_allclose(forward_transfer(S, SB, False), forward_transfer(-S, -SB))
    summary = summarise(S, SB, "resolution")
    assert summary["average_resolution"] == pytest.approx((0.08 + 0.11 + 0.15) / 3)
    assert summary["forward_transfer"] == pytest.approx(fwt[2])
    assert np.isnan(summarise(S, None, "resolution")["forward_transfer"])
    with pytest.raises(ValueError, match="Unknown continual score 'auc'"):
        summarise(S, SB, "auc")


def test_metric_files_number_tasks_from_one(tmp_path: Path) -> None:
    paths = write_continual_metrics(tmp_path, R, ["a", "b", "c", "d"], B)
    assert all(p.is_file() for p in paths.values())
    matrix = list(csv.reader((tmp_path / "accuracy_matrix.csv").open()))
    assert matrix[1] == ["a", "0.900000", "", "", ""]  # the superdiagonal is not a learnt-task entry
    summary = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [r["after_task"] for r in summary] == ["1", "2", "3", "4"]
    assert summary[0]["forward_transfer"] == ""
    assert float(summary[-1]["forward_transfer"]) == pytest.approx(forward_transfer(R, B)[-1], abs=1e-6)
    fwt = list(csv.DictReader((tmp_path / "forward_transfer.csv").open()))
    assert [r["task_id"] for r in fwt] == ["2", "3", "4"]
    assert float(fwt[0]["accuracy_before_learning"]) == pytest.approx(0.40)
    assert float(fwt[0]["random_init_accuracy"]) == pytest.approx(0.35)
    assert float(fwt[2]["forward_transfer"]) == pytest.approx(-0.05)
    fgt = list(csv.DictReader((tmp_path / "forgetting.csv").open()))
    assert fgt[0]["task_id"] == "1" and float(fgt[0]["forgetting"]) == pytest.approx(0.35)


def test_resolution_files(tmp_path: Path) -> None:
    paths = write_continual_metrics(tmp_path, S, ["a", "b", "c"], SB, score="resolution")
    assert set(paths) == {
        "resolution_matrix.csv",
        "summary.csv",
        "forgetting.csv",
        "forward_transfer.csv",
        "resolution_matrix.png",
        "average_resolution.png",
    }
    assert (tmp_path / "resolution_matrix.png").read_bytes()[:4] == b"\x89PNG"
    fgt = list(csv.DictReader((tmp_path / "forgetting.csv").open()))
    assert float(fgt[0]["best_resolution"]) == pytest.approx(0.08)  # the smallest
    assert float(fgt[1]["forgetting"]) == pytest.approx(0.02)
    fwt = list(csv.DictReader((tmp_path / "forward_transfer.csv").open()))
    assert float(fwt[1]["forward_transfer"]) == pytest.approx(0.6 - 0.20)
    summary = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert float(summary[-1]["average_resolution"]) == pytest.approx((0.08 + 0.11 + 0.15) / 3, abs=1e-6)
