"""halite: multi-task, multi-modal neural networks for particle-physics data."""

__version__ = "0.1.0"
