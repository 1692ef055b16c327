"""halite: multi-task, multi-modal neural networks for particle-physics data."""

from halite import moved

__version__ = "0.1.0"

moved.install()  # old module paths in saved configs keep importing (halite/moved.py)
