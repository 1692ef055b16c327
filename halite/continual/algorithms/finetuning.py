"""Fine-tuning: train every task in turn with no protection against forgetting (the lower baseline)."""

from __future__ import annotations

from halite.continual.algorithms.base import ContinualAlgorithm


class Finetuning(ContinualAlgorithm):
    """Plain sequential training: each task starts from the weights the previous one left."""
