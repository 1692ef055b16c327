"""Continual and multi-task learning: paradigm heads, algorithms, metrics and offline benchmarks.

Kept apart from the core tasks; run with ``halite fit --config configs/continual/<name>.yaml``
(or ``halite continual --config ...``). Configs name the classes as ``halite.continual.<Class>``.
"""

from halite.continual.algorithms import (
    AGEM,
    EWC,
    HAT,
    SI,
    ContinualAlgorithm,
    Finetuning,
    Independent,
    LwF,
    Replay,
)
from halite.continual.backbones import Backbone, JetBackbone, MLPBackbone, MLPConfig
from halite.continual.data import Benchmark
from halite.continual.digits import PermutedDigits, SplitDigits
from halite.continual.heads import HeadDIL, HeadsCIL, HeadsMTL, HeadsTIL, HeadSTL
from halite.continual.jets import DetectorCondition, JetSequence
from halite.continual.learner import Learner

__all__ = [
    "AGEM",
    "EWC",
    "HAT",
    "SI",
    "Backbone",
    "Benchmark",
    "ContinualAlgorithm",
    "DetectorCondition",
    "Finetuning",
    "HeadDIL",
    "HeadSTL",
    "HeadsCIL",
    "HeadsMTL",
    "HeadsTIL",
    "Independent",
    "JetBackbone",
    "JetSequence",
    "Learner",
    "LwF",
    "MLPBackbone",
    "MLPConfig",
    "PermutedDigits",
    "Replay",
    "SplitDigits",
]
