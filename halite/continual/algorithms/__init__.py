"""Continual-learning algorithms: Finetuning, Independent, EWC, SI, LwF, experience replay, A-GEM and HAT."""

from halite.continual.algorithms.agem import AGEM
from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.algorithms.ewc import EWC
from halite.continual.algorithms.finetuning import Finetuning
from halite.continual.algorithms.hat import HAT
from halite.continual.algorithms.independent import Independent
from halite.continual.algorithms.lwf import LwF
from halite.continual.algorithms.replay import Replay
from halite.continual.algorithms.si import SI

__all__ = ["AGEM", "EWC", "HAT", "SI", "ContinualAlgorithm", "Finetuning", "Independent", "LwF", "Replay"]
