"""What a continual run learns: class labels (``Learner``, accuracy) or a float target (``RegressionLearner``, resolution).

``ContinualRun`` (``halite.continual.run``) reads ``continual.objective`` and
``continual.regression``; this module holds the regression options and the checks that a
paradigm, an algorithm and a benchmark's targets fit the objective, each failing with the
config key to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from halite.continual.algorithms import DER, HAT, ContinualAlgorithm, LwF
from halite.continual.backbones import Backbone
from halite.continual.data import TaskData
from halite.continual.regression import RegressionLearner, Statistic

Objective = Literal["classification", "regression"]
#: the score of the metric files of each objective (``halite.continual.metrics.SCORES``)
SCORE: dict[str, str] = {"classification": "accuracy", "regression": "resolution"}
#: paradigms ``RegressionLearner`` offers (a regression has no classes to add: no ``cil``)
REGRESSION_PARADIGMS: tuple[str, ...] = ("til", "dil")
#: algorithms built on class logits, refused for a regression (DERpp is a DER)
CLASSIFICATION_ONLY: dict[type[ContinualAlgorithm], str] = {
    LwF: "distils the softmax of the old heads' class logits",
    DER: "replays stored class logits",
    HAT: "masks the units of a classification Learner's heads",
}


@dataclass
class RegressionConfig:
    """Options of the ``RegressionLearner`` of ``continual.objective: regression``.

    Parameters
    ----------
    target
        ``linear``: the benchmark's ``y`` is the physical target; ``log``: ``y`` is its
        logarithm (``DriftingJets(target="pt")`` gives ``log(pt_truth / GeV)``) and the
        prediction is ``exp(output)``.
    statistic
        Width of the relative residual: ``iqr`` (``IQR / 1.349``, robust to tails) or ``std``.
    response_normalised
        Divide the width by the median response (``halite.continual.regression.relative_resolution``).
    standardise
        Start the output at the mean of the first task's training ``y`` and scale it (and the
        loss) by their standard deviation; ``False``: mean 0, scale 1.
    """

    target: Literal["linear", "log"] = "linear"
    statistic: Statistic = "iqr"
    response_normalised: bool = True
    standardise: bool = True

    def __post_init__(self) -> None:
        if self.target not in ("linear", "log"):
            msg = f"continual.regression.target must be 'linear' or 'log', got '{self.target}'."
            raise ValueError(msg)
        if self.statistic not in ("iqr", "std"):
            msg = f"continual.regression.statistic must be 'iqr' or 'std', got '{self.statistic}'."
            raise ValueError(msg)

    def learner(self, backbone: Backbone, paradigm: str, tasks: list[TaskData]) -> RegressionLearner:
        """A ``RegressionLearner`` on a built ``backbone``; ``y_mean`` / ``y_std`` from ``tasks[0].train``."""
        y_mean, y_std = 0.0, 1.0
        if self.standardise:
            y = tasks[0].train.y.double()
            y_mean = float(y.mean())
            y_std = float(y.std()) if len(y) > 1 and float(y.std()) > 0 else 1.0
        return RegressionLearner(
            backbone,
            paradigm,  # type: ignore[arg-type]  # checked by check_objective
            target=self.target,
            statistic=self.statistic,
            response_normalised=self.response_normalised,
            y_mean=y_mean,
            y_std=y_std,
        )


def check_objective(
    objective: str, paradigm: str, algorithm: ContinualAlgorithm, regression: RegressionConfig | None
) -> None:
    """Raise ``ValueError`` (naming the config key and the fix) if the objective refuses the paradigm or algorithm."""
    if objective not in SCORE:
        msg = f"continual.objective must be one of {sorted(SCORE)}, got '{objective}'."
        raise ValueError(msg)
    if objective == "classification":
        if regression is not None:
            msg = (
                "continual.regression is set but continual.objective is 'classification'. "
                "Set continual.objective: regression, or remove continual.regression."
            )
            raise ValueError(msg)
        return
    if paradigm not in REGRESSION_PARADIGMS:
        msg = (
            f"continual.paradigm '{paradigm}' is not offered for continual.objective: regression "
            f"(choose one of {list(REGRESSION_PARADIGMS)}: a new output per task or one shared output)."
        )
        raise ValueError(msg)
    for cls, why in CLASSIFICATION_ONLY.items():
        if isinstance(algorithm, cls):
            msg = (
                f"continual.algorithm {type(algorithm).__name__} {why} and does not apply to "
                f"continual.objective: regression. Use Finetuning, EWC, SI, A-GEM (AGEM), Replay, "
                f"Independent, Fix or Random, or set continual.objective: classification."
            )
            raise ValueError(msg)


def check_targets(objective: str, tasks: list[TaskData], regression: RegressionConfig | None) -> None:
    """Raise ``ValueError`` if the tasks' ``y`` do not fit the objective (float targets for a regression, labels otherwise)."""
    for i, task in enumerate(tasks, start=1):
        y = task.train.y
        if objective == "regression":
            if not y.is_floating_point():
                msg = (
                    f"continual.objective: regression needs float targets; task {i} '{task.name}' has "
                    f"{y.dtype} labels. Use a regression benchmark (e.g. DriftingJets with target: pt) "
                    f"or set continual.objective: classification."
                )
                raise ValueError(msg)
            linear = regression is None or regression.target == "linear"
            if linear and len(y) and float(y.min()) <= 0:
                msg = (
                    f"The relative resolution needs targets > 0; task {i} '{task.name}' has y down to "
                    f"{float(y.min()):.4g}. If y is the logarithm of the target, set "
                    f"continual.regression.target: log."
                )
                raise ValueError(msg)
        elif y.is_floating_point():
            msg = (
                f"Task {i} '{task.name}' has float targets ({y.dtype}), a regression. "
                f"Set continual.objective: regression (and continual.regression.target)."
            )
            raise ValueError(msg)
