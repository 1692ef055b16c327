"""Task metrics on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from halite.evaluate.task_metrics import origin_accuracy, pull_width, relative_resolution, vertex_pair_metrics


def test_origin_accuracy() -> None:
    probs = np.zeros((1, 4, 3))
    probs[0, [0, 1, 2, 3], [0, 1, 1, 2]] = 1.0
    truth = np.array([[0, 1, 2, 0]])
    valid = np.array([[True, True, True, False]])
    out = origin_accuracy(probs, truth, valid)
    assert out["accuracy"] == pytest.approx(2 / 3)
    assert out["balanced_accuracy"] == pytest.approx((1 + 1 + 0) / 3)


def test_vertex_pair_metrics() -> None:
    truth = np.array([[0, 0, 1, 1, -1, 0]])
    pred = np.array([[0, 0, 0, 1, 1, 9]])
    valid = np.array([[True, True, True, True, True, False]])
    out = vertex_pair_metrics(pred, truth, valid)
    # true pairs (ordered): (0,1),(2,3) x2 = 4; predicted: {0,1,2} -> 6, {3,4} -> 2 = 8; matched: (0,1) x2
    assert (out["true_pairs"], out["predicted_pairs"]) == (4, 8)
    assert out["efficiency"] == pytest.approx(0.5) and out["purity"] == pytest.approx(0.25)
    sv = vertex_pair_metrics(pred, truth, valid, min_truth=1)
    # true: (2,3) x2; predicted involving a truth-SV track: (0,2),(1,2) x2 + (3,4) x2 = 6; matched 0
    assert (sv["true_pairs"], sv["predicted_pairs"], sv["efficiency"], sv["purity"]) == (2, 6, 0.0, 0.0)


def test_resolution_and_pull() -> None:
    rng = np.random.default_rng(1)
    truth = rng.uniform(20, 200, 200_000)
    sigma = 0.1 * truth
    pred = truth + sigma * rng.standard_normal(truth.size)
    res = relative_resolution(pred, truth)
    assert res["width"] == pytest.approx(0.1, rel=0.02) and abs(res["bias"]) < 0.002
    pull = pull_width(pred, sigma, truth)
    assert pull["std"] == pytest.approx(1.0, rel=0.01) and pull["width"] == pytest.approx(1.0, rel=0.02)
    assert pull_width(pred, 2 * sigma, truth)["std"] == pytest.approx(0.5, rel=0.01)
