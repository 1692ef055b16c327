"""The one-cycle LR schedule at 1, 2, 10 and 1000 steps (no warm-up shorter than one step)."""

from __future__ import annotations

import math

import pytest
import torch
from torch.optim.lr_scheduler import LambdaLR, OneCycleLR

from halite.training.schedule import cosine_decay, has_warmup, one_cycle

INITIAL, PEAK, END = 1e-6, 2e-3, 1e-5


def lrs(total: int, pct_start: float, groups: int = 1) -> tuple[object, list[list[float]]]:
    """The LR of every param group at each of ``total`` optimiser steps."""
    params = [[torch.nn.Parameter(torch.zeros(1))] for _ in range(groups)]
    opt = torch.optim.AdamW([{"params": p} for p in params], lr=PEAK)
    scales = [1.0, 0.1][:groups]
    sched = one_cycle(opt, total, [PEAK * s for s in scales], INITIAL, END, pct_start, PEAK)
    seen = []
    for _ in range(total):
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return sched, seen


@pytest.mark.parametrize("total", [1, 2, 10])
@pytest.mark.parametrize("pct_start", [0.01, 0.1, 0.15])
def test_short_runs_start_at_the_peak_and_anneal(total: int, pct_start: float) -> None:
    sched, seen = lrs(total, pct_start)
    assert isinstance(sched, LambdaLR)
    first = [s[0] for s in seen]
    assert first[0] == pytest.approx(PEAK)
    assert all(math.isfinite(x) and END * (1 - 1e-9) <= x <= PEAK * (1 + 1e-9) for x in first)
    assert first == sorted(first, reverse=True)
    if total > 1:
        assert first[-1] == pytest.approx(END)


def test_the_issue_case_divides_by_zero_in_onecycle_but_not_here() -> None:
    # 500 jets / batch 50 = 10 steps, demo.yaml's pct_start 0.1: one warm-up step
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    with pytest.raises(ZeroDivisionError):
        OneCycleLR(opt, max_lr=PEAK, total_steps=10, pct_start=0.1)
    assert not has_warmup(10, 0.1)
    _, seen = lrs(10, 0.1)
    assert len(seen) == 10


def test_ten_steps_with_a_three_step_warm_up_keep_onecycle() -> None:
    sched, seen = lrs(10, 0.3)
    assert isinstance(sched, OneCycleLR)
    first = [s[0] for s in seen]
    assert first[0] == pytest.approx(INITIAL) and first[2] == pytest.approx(PEAK)
    assert first[-1] == pytest.approx(END)


def test_long_runs_keep_onecycle_and_group_scales() -> None:
    sched, seen = lrs(1000, 0.1, groups=2)
    assert isinstance(sched, OneCycleLR)
    assert seen[0] == pytest.approx([INITIAL, INITIAL * 0.1])
    assert max(s[0] for s in seen) == pytest.approx(PEAK, rel=1e-4)
    assert max(s[1] for s in seen) == pytest.approx(PEAK * 0.1, rel=1e-4)
    assert seen[-1][0] == pytest.approx(END, rel=1e-2)
    # the smallest run with a warm-up of one step: 20 steps at 10 %
    assert has_warmup(20, 0.1) and isinstance(lrs(20, 0.1)[0], OneCycleLR)


def test_short_runs_keep_group_scales() -> None:
    sched, seen = lrs(2, 0.1, groups=2)
    assert seen[0] == pytest.approx([PEAK, PEAK * 0.1])
    groups = sched.optimizer.param_groups  # type: ignore[attr-defined]
    assert [g["max_lr"] for g in groups] == pytest.approx([PEAK, PEAK * 0.1])  # as OneCycleLR keeps them
    assert [g["min_lr"] for g in groups] == pytest.approx([END, END * 0.1])


def test_cosine_decay_factor() -> None:
    f = cosine_decay(1, 0.01)
    assert f(0) == 1.0 and f(1) == pytest.approx(0.01) and f(5) == pytest.approx(0.01)
    g = cosine_decay(3, 0.0)
    assert [g(i) for i in range(3)] == pytest.approx([1.0, 0.5, 0.0])


def test_zero_or_negative_step_estimates_count_as_one() -> None:
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    sched = one_cycle(opt, 0, [PEAK], INITIAL, END, 0.1, PEAK)
    assert opt.param_groups[0]["lr"] == pytest.approx(PEAK)
    assert isinstance(sched, LambdaLR)
