"""ContinualRun: the classification / regression branch, its metric files and its config errors."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
import torch

from halite.continual.algorithms import EWC, Finetuning, LwF
from halite.continual.backbones import MLPBackbone, MLPConfig
from halite.continual.drift import DriftingJets, DriftTask
from halite.continual.learner import Learner
from halite.continual.loop import TrainingConfig
from halite.continual.objective import RegressionConfig
from halite.continual.regression import RegressionLearner
from halite.continual.run import ContinualRun


def _bench(target: Literal["flavour", "pt"] = "pt") -> DriftingJets:
    return DriftingJets(
        target, tasks=[DriftTask("a"), DriftTask("b")], num_train=64, num_test=64, num_tracks=2
    )


def _run(target: Literal["flavour", "pt"] = "pt", **kw: object) -> ContinualRun:
    backbone = MLPBackbone("jet", MLPConfig(hidden_layers=[8], output_size=8))
    return ContinualRun(
        kw.pop("paradigm", "dil"),  # type: ignore[arg-type]
        _bench(target),
        backbone,
        training=TrainingConfig(epochs=1, batch_size=32),
        **kw,  # type: ignore[arg-type]
    )


def test_default_objective_is_classification() -> None:
    run = _run("flavour")
    assert run.objective == "classification" and run.regression is None and run.score == "accuracy"
    assert type(run.make_learner()) is Learner


def test_regression_builds_a_regression_learner() -> None:
    run = _run(objective="regression")
    assert (
        isinstance(run.regression, RegressionConfig) and run.regression.target == "linear"
    )  # default options
    assert run.score == "resolution"
    run = _run(
        objective="regression", regression=RegressionConfig(target="log", statistic="std"), paradigm="til"
    )
    tasks = run.benchmark.tasks()
    lrn = run.make_learner(tasks)
    assert isinstance(lrn, RegressionLearner) and lrn.paradigm == "til" and lrn.target == "log"
    assert lrn.statistic == "std" and lrn.y_mean == pytest.approx(float(tasks[0].train.y.double().mean()))
    with pytest.raises(ValueError, match="make_learner needs the tasks for continual.objective: regression"):
        run.make_learner()


def test_regression_run_writes_resolution_metrics(tmp_path: Path) -> None:
    torch.manual_seed(0)
    run = _run(
        objective="regression", regression=RegressionConfig(target="log"), algorithm=EWC(fisher_samples=16)
    )
    summary = run.run(tmp_path)
    assert set(summary) == {
        "average_resolution",
        "backward_transfer",
        "forward_transfer",
        "average_forgetting",
    }
    assert all(np.isfinite(v) for v in summary.values())
    for name in ("resolution_matrix.csv", "summary.csv", "forgetting.csv", "forward_transfer.csv"):
        assert (tmp_path / name).is_file()
    for png in ("resolution_matrix.png", "average_resolution.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "accuracy_matrix.csv").exists()
    with (tmp_path / "summary.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["after_task"] for r in rows] == ["1", "2"]
    assert float(rows[1]["average_resolution"]) == pytest.approx(summary["average_resolution"], abs=1e-6)
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    assert {"heads.shared.weight", "heads.shared.bias"} <= set(state)


def test_regression_config_errors() -> None:
    with pytest.raises(
        ValueError, match="continual.algorithm LwF .* does not apply to continual.objective: regression"
    ):
        _run(objective="regression", algorithm=LwF())
    for paradigm in ("cil", "mtl", "stl"):
        with pytest.raises(
            ValueError, match=f"continual.paradigm '{paradigm}' is not offered for continual.objective"
        ):
            _run(objective="regression", paradigm=paradigm)
    with pytest.raises(
        ValueError, match="continual.regression is set but continual.objective is 'classification'"
    ):
        _run(regression=RegressionConfig())
    run = _run(algorithm=Finetuning())  # a pt benchmark under the classification default
    with pytest.raises(ValueError, match="float targets .* Set continual.objective: regression"):
        run.run(Path("unused"))
    run = _run("flavour", objective="regression")
    with pytest.raises(ValueError, match="regression needs float targets; task 1 'a'"):
        run.run(Path("unused"))
