"""What is predicted and how it is scored."""

from halite.tasks.base import TaskBase
from halite.tasks.classification import ClassificationTask
from halite.tasks.regression import GaussianRegressionTask, NormParams, RegressionTask, RegressionTaskBase
from halite.tasks.scalers import RegressionTargetScaler, TargetScale
from halite.tasks.vertexing import VertexingTask

__all__ = [
    "ClassificationTask",
    "GaussianRegressionTask",
    "NormParams",
    "RegressionTargetScaler",
    "RegressionTask",
    "RegressionTaskBase",
    "TargetScale",
    "TaskBase",
    "VertexingTask",
]
