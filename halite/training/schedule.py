"""The one-cycle learning-rate schedule, for runs of any length (one step included).

``torch.optim.lr_scheduler.OneCycleLR`` warms up over ``pct_start * total_steps`` steps: the
LR is ``initial`` at step 0 and peaks at step ``pct_start * total_steps - 1``, then anneals
(cosine) to ``end`` at the last step. When that warm-up would last less than one step
(``pct_start * total_steps < 2``: short smoke runs, e.g. 10 steps at ``pct_start = 0.1``),
OneCycleLR divides by zero (exactly one warm-up step) or ramps over a fraction of a step.

``one_cycle`` then drops the warm-up: the LR starts at ``max`` and anneals (cosine) to ``end``
over the run. A run of one step trains that step at ``max``. Long runs keep OneCycleLR exactly
(salt's schedule, momentum cycling included).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR, LRScheduler, OneCycleLR


def has_warmup(total_steps: int, pct_start: float) -> bool:
    """Whether OneCycleLR's warm-up and annealing phases each span at least one step."""
    warm = pct_start * total_steps
    return warm - 1 >= 1 and total_steps - warm >= 1


def cosine_decay(total_steps: int, end_factor: float) -> Callable[[int], float]:
    """LR factor at each step: 1 at step 0, cosine down to ``end_factor`` at the last step.

    ``total_steps = 1``: the one step has factor 1 (the LR after it, never used, is ``end_factor``).
    """
    span = max(total_steps - 1, 1)

    def factor(step: int) -> float:
        pct = min(step / span, 1.0)
        return end_factor + (1.0 - end_factor) * 0.5 * (1.0 + math.cos(math.pi * pct))

    return factor


def one_cycle(
    opt: Optimizer,
    total_steps: int,
    max_lrs: list[float],
    initial: float,
    end: float,
    pct_start: float,
    peak: float,
) -> LRScheduler:
    """One-cycle schedule from ``initial`` through the peak ``max_lrs`` to ``end``, for ``total_steps >= 1``.

    Parameters
    ----------
    opt
        The optimiser; its param groups' LRs are set by the schedule.
    total_steps
        Optimiser steps of the run (values below 1 count as 1).
    max_lrs
        Peak LR per param group (``lrs_config.max`` times the group's scale).
    initial, end, peak
        ``lrs_config.initial`` / ``.end`` / ``.max``: every group starts at ``max_lr * initial / peak``
        and ends at ``max_lr * end / peak``.
    pct_start
        Fraction of the steps spent warming up; ignored when the warm-up would be shorter than one
        step (see the module docstring): the LR then starts at the peak.
    """
    total = max(int(total_steps), 1)
    if has_warmup(total, pct_start):
        return OneCycleLR(
            opt,
            max_lr=max_lrs,
            total_steps=total,
            pct_start=pct_start,
            div_factor=peak / initial,
            final_div_factor=initial / end,
        )
    for group, lr in zip(opt.param_groups, max_lrs):
        # the peak and final LR per group, under OneCycleLR's keys
        group["lr"], group["max_lr"], group["min_lr"] = lr, lr, lr * end / peak
        group.pop("initial_lr", None)
    return LambdaLR(opt, cosine_decay(total, end / peak))
