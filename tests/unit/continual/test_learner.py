"""Learner set-up as CLArena's CLAlgorithm.setup_task_id: task ids from 1, the dil head set up once."""

from __future__ import annotations

import pytest
import torch

from halite.continual.heads import HeadDIL, HeadsCIL, HeadsTIL
from halite.continual.learner import Learner
from tests.unit.continual.helpers import IdentityBackbone, learner, samples


def test_til_and_cil_heads_are_keyed_by_task_ids_from_1() -> None:
    for paradigm in ("til", "cil"):
        lrn = learner(paradigm)
        lrn.setup_task(1, 2)
        lrn.setup_task(2, 3)
        assert isinstance(lrn.heads, (HeadsTIL, HeadsCIL))
        assert list(lrn.heads.heads) == ["1", "2"] and lrn.heads.task_id == 2
        assert "heads.heads.1.weight" in lrn.state_dict()
        data = samples(5, 3, 3, task_id=2)
        assert torch.isfinite(lrn.loss(lrn.features(data), data))
    assert list(learner("til").state_dict()) == []


def test_dil_head_is_set_up_once_as_clarenas_algorithm_does() -> None:
    lrn = learner("dil")
    assert isinstance(lrn.heads, HeadDIL) and not lrn.heads.if_head_setup()
    lrn.setup_task(1, 2)
    first = lrn.heads.get_head()
    lrn.setup_task(2, 2)  # CLArena calls setup_task only while if_head_setup() is False
    assert lrn.heads.get_head() is first and lrn.heads.if_head_setup()
    with pytest.raises(ValueError, match="the dil head has 2, task 3 4"):
        lrn.setup_task(3, 4)


def test_keep_existing_heads_is_halites_option() -> None:
    fresh, kept = learner("til"), Learner(IdentityBackbone(3), "til", keep_existing_heads=True)
    for lrn in (fresh, kept):
        lrn.setup_task(1, 2)
    assert isinstance(fresh.heads, HeadsTIL) and isinstance(kept.heads, HeadsTIL)
    before_fresh, before_kept = fresh.heads.get_head(1), kept.heads.get_head(1)
    fresh.setup_task(1, 2)
    kept.setup_task(1, 2)
    assert fresh.heads.get_head(1) is not before_fresh  # CLArena: re-running set-up replaces the head
    assert kept.heads.get_head(1) is before_kept
    assert isinstance(Learner(IdentityBackbone(3), "cil", keep_existing_heads=True).heads, HeadsCIL)
    with pytest.raises(
        ValueError, match="keep_existing_heads is for the til, cil and dil paradigms, not 'mtl'"
    ):
        Learner(IdentityBackbone(3), "mtl", keep_existing_heads=True)


def test_mtl_learner_takes_class_counts_per_task_id() -> None:
    lrn = learner("mtl")
    lrn.setup_tasks([1, 2], {1: 2, 2: 3})
    assert [k for k in lrn.state_dict() if k.startswith("heads.")] == [
        "heads.heads.1.weight",
        "heads.heads.1.bias",
        "heads.heads.2.weight",
        "heads.heads.2.bias",
    ]
