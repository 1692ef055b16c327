"""Continual and multi-task learning: paradigm heads, algorithms, metrics and offline benchmarks.

Kept apart from the core tasks; run with ``halite fit --config configs/continual/<name>.yaml``
(or ``halite continual --config ...``).
"""
