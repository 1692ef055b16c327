"""Continual-learning algorithms: Finetuning, Independent, Fix, Random, EWC, SI, LwF, experience replay, DER,
DER++, A-GEM and HAT (one file each, on the hooks of ``base.py``)."""

from halite.continual.algorithms.agem import AGEM
from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.algorithms.der import DER, DERpp
from halite.continual.algorithms.ewc import EWC
from halite.continual.algorithms.finetuning import Finetuning
from halite.continual.algorithms.fix import Fix
from halite.continual.algorithms.hat import HAT
from halite.continual.algorithms.independent import Independent
from halite.continual.algorithms.lwf import LwF
from halite.continual.algorithms.random_backbone import Random
from halite.continual.algorithms.replay import Replay
from halite.continual.algorithms.si import SI

__all__ = [
    "AGEM",
    "DER",
    "EWC",
    "HAT",
    "SI",
    "ContinualAlgorithm",
    "DERpp",
    "Finetuning",
    "Fix",
    "Independent",
    "LwF",
    "Random",
    "Replay",
]
