"""Continual-learning algorithms: Finetuning, Independent, EWC, LwF and experience replay."""

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.algorithms.ewc import EWC
from halite.continual.algorithms.finetuning import Finetuning
from halite.continual.algorithms.independent import Independent
from halite.continual.algorithms.lwf import LwF
from halite.continual.algorithms.replay import Replay

__all__ = ["EWC", "ContinualAlgorithm", "Finetuning", "Independent", "LwF", "Replay"]
