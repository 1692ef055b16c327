"""Learner targets and losses per paradigm; metrics from the accuracy matrix."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from halite.continual.data import Samples
from halite.continual.learner import Learner
from halite.continual.metrics import (
    average_accuracy,
    average_forgetting,
    backward_transfer,
    forgetting,
    write_continual_metrics,
    write_task_accuracy,
)
from tests.unit.continual.helpers import IdentityBackbone, learner, samples


def test_cil_targets_are_shifted_by_earlier_classes() -> None:
    lrn = learner("cil")
    lrn.setup_task(1, 2)
    lrn.setup_task(2, 3)
    torch.testing.assert_close(lrn.targets(torch.tensor([0, 2]), 2), torch.tensor([2, 4]))
    mixed = Samples.cat([samples(3, 3, 2, 1, seed=1), samples(2, 3, 3, 2, seed=2)])
    feats = lrn.features(mixed)
    logits = lrn.heads(feats)
    expected = F.cross_entropy(logits, mixed.y + torch.tensor([0, 0, 0, 2, 2]))
    torch.testing.assert_close(lrn.loss(feats, mixed), expected)


def test_til_loss_routes_each_task_to_its_head() -> None:
    lrn = learner("til")
    lrn.setup_task(1, 2)
    lrn.setup_task(2, 4)
    a, b = samples(3, 3, 2, 1, seed=1), samples(5, 3, 4, 2, seed=2)
    mixed = Samples.cat([a, b])
    ce_a = F.cross_entropy(lrn.heads(a.inputs["x"], 1), a.y, reduction="sum")
    ce_b = F.cross_entropy(lrn.heads(b.inputs["x"], 2), b.y, reduction="sum")
    torch.testing.assert_close(lrn.loss(lrn.features(mixed), mixed), (ce_a + ce_b) / 8)


def test_learner_errors() -> None:
    with pytest.raises(ValueError, match="Unknown paradigm 'xil'"):
        Learner(IdentityBackbone(3), "xil")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="setup_tasks"):
        learner("mtl").setup_task(1, 2)
    with pytest.raises(RuntimeError, match="for the mtl paradigm"):
        learner("til").setup_tasks([1], [2])
    with pytest.raises(ValueError, match="Rows|rows"):
        Samples(
            {"x": torch.zeros(3, 2)}, {}, torch.zeros(2, dtype=torch.int64), torch.zeros(2, dtype=torch.int64)
        )


ACC = np.array([[0.9, np.nan, np.nan], [0.6, 0.8, np.nan], [0.5, 0.7, 0.95]])


def test_metrics_against_hand_computation() -> None:
    np.testing.assert_allclose(average_accuracy(ACC), [0.9, 0.7, (0.5 + 0.7 + 0.95) / 3])
    bwt = backward_transfer(ACC)
    assert np.isnan(bwt[0])
    np.testing.assert_allclose(bwt[1:], [-0.3, ((0.5 - 0.9) + (0.7 - 0.8)) / 2])
    f = forgetting(ACC)
    assert f[2, 0] == pytest.approx(0.4) and f[2, 1] == pytest.approx(0.1) and np.isnan(f[2, 2])
    np.testing.assert_allclose(average_forgetting(ACC)[1:], [0.3, 0.25])
    # forgetting uses the best earlier accuracy, not the first one
    acc = np.array([[0.5, np.nan, np.nan], [0.9, 0.8, np.nan], [0.7, 0.8, 0.9]])
    assert forgetting(acc)[2, 0] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="square"):
        average_accuracy(np.zeros((2, 3)))


def test_metric_files(tmp_path: Path) -> None:
    paths = write_continual_metrics(tmp_path, ACC, ["a", "b", "c"])
    for p in paths.values():
        assert p.is_file() and p.stat().st_size > 0
    assert not list(tmp_path.glob(".*.tmp"))
    rows = list(csv.reader((tmp_path / "accuracy_matrix.csv").open()))
    assert rows[0] == ["after_task", "a", "b", "c"]
    assert rows[1] == ["a", "0.900000", "", ""]
    summary = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [r["after_task"] for r in summary] == ["1", "2", "3"]  # tasks counted from 1
    assert float(summary[-1]["average_forgetting"]) == pytest.approx(0.25)
    fgt = list(csv.DictReader((tmp_path / "forgetting.csv").open()))
    assert [r["forgetting"] for r in fgt] == ["0.400000", "0.100000", ""]
    assert (tmp_path / "accuracy_matrix.png").read_bytes()[:4] == b"\x89PNG"
    write_task_accuracy(tmp_path, [0.5, 1.0], ["a", "b"])
    rows = list(csv.reader((tmp_path / "task_accuracy.csv").open()))
    assert rows[-1] == ["mean", "0.750000"]
    with pytest.raises(ValueError, match="3 task names for a 2-task"):
        write_continual_metrics(tmp_path, ACC[:2, :2], ["a", "b", "c"])
