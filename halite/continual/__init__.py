"""Continual and multi-task learning: paradigm heads, algorithms, metrics and offline benchmarks.

Kept apart from the core tasks; run with ``halite fit --config configs/continual/<name>.yaml``
(or ``halite continual --config ...``). Configs name the classes as ``halite.continual.<Class>``.
"""

from halite.continual.algorithms import (
    AGEM,
    DER,
    EWC,
    HAT,
    SI,
    ContinualAlgorithm,
    DERpp,
    Finetuning,
    Fix,
    Independent,
    LwF,
    Random,
    Replay,
)
from halite.continual.backbones import Backbone, JetBackbone, MLPBackbone, MLPConfig
from halite.continual.data import Benchmark
from halite.continual.digits import PermutedDigits, SplitDigits
from halite.continual.drift import DriftingJets
from halite.continual.heads import HeadDIL, HeadsCIL, HeadsMTL, HeadsTIL, HeadSTL
from halite.continual.jets import DetectorCondition, JetSequence
from halite.continual.learner import Learner
from halite.continual.regression import RegressionLearner

__all__ = [
    "AGEM",
    "DER",
    "EWC",
    "HAT",
    "SI",
    "Backbone",
    "Benchmark",
    "ContinualAlgorithm",
    "DERpp",
    "DetectorCondition",
    "DriftingJets",
    "Finetuning",
    "Fix",
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
    "Random",
    "RegressionLearner",
    "Replay",
    "SplitDigits",
]
