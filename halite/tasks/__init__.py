"""What is predicted and how it is scored."""

from halite.tasks.base import TaskBase
from halite.tasks.class_reg_multi import ClassRegMultiTask
from halite.tasks.classification import ClassificationTask
from halite.tasks.regression import GaussianRegressionTask, RegressionTask
from halite.tasks.regression_base import NormParams, RegressionTaskBase
from halite.tasks.scalers import RegressionTargetScaler, TargetScale
from halite.tasks.vertexing import VertexingTask

__all__ = [
    "ClassRegMultiTask",
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
