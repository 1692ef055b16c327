"""The regression options of a continual run and the objective / paradigm / algorithm / target checks."""

from __future__ import annotations

import pytest
import torch

from halite.continual.algorithms import (
    AGEM,
    DER,
    EWC,
    HAT,
    SI,
    DERpp,
    Finetuning,
    Fix,
    Independent,
    LwF,
    Random,
    Replay,
)
from halite.continual.data import Samples, TaskData
from halite.continual.objective import RegressionConfig, check_objective, check_targets
from halite.continual.regression import RegressionLearner
from tests.unit.continual.helpers import IdentityBackbone


def _task(y: torch.Tensor, name: str = "t") -> TaskData:
    s = Samples({"x": torch.zeros(len(y), 2)}, {}, y, torch.ones(len(y), dtype=torch.int64))
    return TaskData(name, ["pt_truth"], s, s)


def test_regression_config_builds_a_standardised_learner() -> None:
    y = torch.tensor([1.0, 2.0, 3.0, 6.0])
    lrn = RegressionConfig(target="log", statistic="std", response_normalised=False).learner(
        IdentityBackbone(2), "til", [_task(y), _task(torch.tensor([9.0, 9.5]))]
    )
    assert isinstance(lrn, RegressionLearner) and lrn.paradigm == "til" and lrn.target == "log"
    assert lrn.statistic == "std" and lrn.response_normalised is False
    assert lrn.y_mean == pytest.approx(3.0) and lrn.y_std == pytest.approx(
        float(y.double().std())
    )  # task 1 only
    plain = RegressionConfig(standardise=False).learner(IdentityBackbone(2), "dil", [_task(y)])
    assert (plain.y_mean, plain.y_std) == (0.0, 1.0)
    const = RegressionConfig().learner(IdentityBackbone(2), "dil", [_task(torch.full((3,), 2.0))])
    assert (const.y_mean, const.y_std) == (2.0, 1.0)  # no spread: scale 1, not 0


def test_regression_config_errors() -> None:
    with pytest.raises(
        ValueError, match=r"continual.regression.target must be 'linear' or 'log', got 'sqrt'"
    ):
        RegressionConfig(target="sqrt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"continual.regression.statistic must be 'iqr' or 'std', got 'mad'"):
        RegressionConfig(statistic="mad")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "algo", [Finetuning(), EWC(), SI(), AGEM(), Replay(), Independent(), Fix(), Random()]
)
@pytest.mark.parametrize("paradigm", ["til", "dil"])
def test_regression_accepts(paradigm: str, algo: object) -> None:
    check_objective("regression", paradigm, algo, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("algo", [LwF(), DER(), DERpp(), HAT()])
def test_regression_refuses_classification_only_algorithms(algo: object) -> None:
    name = type(algo).__name__
    with pytest.raises(
        ValueError, match=rf"continual.algorithm {name} .* does not apply to continual.objective: regression"
    ):
        check_objective("regression", "dil", algo, RegressionConfig())  # type: ignore[arg-type]


@pytest.mark.parametrize("paradigm", ["cil", "mtl", "stl"])
def test_regression_refuses_paradigms(paradigm: str) -> None:
    with pytest.raises(
        ValueError,
        match=rf"continual.paradigm '{paradigm}' is not offered for continual.objective: regression",
    ):
        check_objective("regression", paradigm, Finetuning(), None)


def test_objective_errors() -> None:
    with pytest.raises(
        ValueError,
        match=r"continual.objective must be one of \['classification', 'regression'\], got 'ranking'",
    ):
        check_objective("ranking", "dil", Finetuning(), None)
    with pytest.raises(
        ValueError, match="continual.regression is set but continual.objective is 'classification'"
    ):
        check_objective("classification", "dil", Finetuning(), RegressionConfig())
    check_objective("classification", "cil", LwF(), None)


def test_check_targets() -> None:
    floats, labels = _task(torch.tensor([1.0, 2.0]), "f"), _task(torch.tensor([0, 1]), "l")
    check_targets("regression", [floats], RegressionConfig())
    check_targets("classification", [labels], None)
    with pytest.raises(ValueError, match="regression needs float targets; task 2 'l' has torch.int64"):
        check_targets("regression", [floats, labels], RegressionConfig())
    with pytest.raises(
        ValueError, match="Task 1 'f' has float targets .* Set continual.objective: regression"
    ):
        check_targets("classification", [floats], None)
    logs = _task(torch.tensor([-0.5, 1.0]), "log")
    with pytest.raises(
        ValueError, match="targets > 0; task 1 'log' has y down to -0.5.* continual.regression.target: log"
    ):
        check_targets("regression", [logs], RegressionConfig())
    check_targets("regression", [logs], RegressionConfig(target="log"))
