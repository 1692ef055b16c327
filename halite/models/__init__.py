"""Assembled models: a backbone (inputs -> one vector per jet, optionally per constituent) plus task heads."""

from halite.models.block_model import BlockModel
from halite.models.model import Model
from halite.models.multitask import MultiTask
from halite.models.point_model import PointCloudModel

__all__ = ["BlockModel", "Model", "MultiTask", "PointCloudModel"]
