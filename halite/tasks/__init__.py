"""What is predicted and how it is scored."""

from halite.tasks.base import TaskBase
from halite.tasks.classification import ClassificationTask

__all__ = ["ClassificationTask", "TaskBase"]
