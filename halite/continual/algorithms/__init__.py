"""Continual-learning algorithms: Finetuning, Independent, Fix, Random, EWC, LwF, experience replay, DER, DER++."""

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.algorithms.der import DER, DERpp
from halite.continual.algorithms.ewc import EWC
from halite.continual.algorithms.finetuning import Finetuning
from halite.continual.algorithms.fix import Fix
from halite.continual.algorithms.independent import Independent
from halite.continual.algorithms.lwf import LwF
from halite.continual.algorithms.random_backbone import Random
from halite.continual.algorithms.replay import Replay

__all__ = [
    "DER",
    "EWC",
    "ContinualAlgorithm",
    "DERpp",
    "Finetuning",
    "Fix",
    "Independent",
    "LwF",
    "Random",
    "Replay",
]
