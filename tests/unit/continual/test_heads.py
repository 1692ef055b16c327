"""The paradigm heads: set-up, routing, concatenation order and errors before set-up."""

from __future__ import annotations

import pytest
import torch

from halite.continual.heads import HeadDIL, HeadsCIL, HeadsMTL, HeadsTIL, HeadSTL

D = 6


def test_til_heads_per_task() -> None:
    heads = HeadsTIL(D)
    heads.setup_task_id(0, 2)
    heads.setup_task_id(3, 4)
    assert set(heads.heads.keys()) == {"0", "3"}
    x = torch.randn(5, D)
    assert heads(x, 0).shape == (5, 2)
    assert heads(x, 3).shape == (5, 4)
    torch.testing.assert_close(heads(x, 3), heads.get_head(3)(x))
    heads.setup_task_id(3, 4)  # idempotent
    with pytest.raises(ValueError, match="already has a head with 4 classes"):
        heads.setup_task_id(3, 5)
    with pytest.raises(RuntimeError, match=r"no head for task 1.*setup_task_id\(1"):
        heads(x, 1)


def test_cil_concatenates_in_setup_order() -> None:
    heads = HeadsCIL(D)
    with pytest.raises(RuntimeError, match="no task set up yet"):
        heads(torch.randn(2, D))
    heads.setup_task_id(5, 2)
    heads.setup_task_id(1, 3)
    assert heads.processed_task_ids == [5, 1]
    x = torch.randn(4, D)
    out = heads(x)
    assert out.shape == (4, 5)
    torch.testing.assert_close(out[:, :2], heads.get_head(5)(x))
    torch.testing.assert_close(out[:, 2:], heads.get_head(1)(x))
    assert heads.class_offset(5) == 0 and heads.class_offset(1) == 2
    torch.testing.assert_close(heads(x, task_id=5), out)
    with pytest.raises(RuntimeError, match="no head for task 7"):
        heads.get_head(7)


def test_dil_single_shared_head() -> None:
    head = HeadDIL(D)
    assert not head.if_head_setup()
    with pytest.raises(RuntimeError, match=r"not set up.*setup_task"):
        head(torch.randn(2, D))
    head.setup_task(3)
    assert head.if_head_setup()
    first = head.get_head()
    head.setup_task(3)
    assert head.get_head(task_id=4) is first
    x = torch.randn(2, D)
    torch.testing.assert_close(head(x, task_id=0), head(x, task_id=9))
    with pytest.raises(ValueError, match="same classes"):
        head.setup_task(4)


def test_mtl_mixed_task_ids_routed_in_input_order() -> None:
    heads = HeadsMTL(D)
    with pytest.raises(RuntimeError, match="setup_tasks"):
        heads(torch.randn(2, D), 0)
    heads.setup_tasks([0, 1, 2], [2, 4, 3])
    x = torch.randn(7, D, requires_grad=True)
    ids = torch.tensor([2, 0, 1, 1, 0, 2, 1])
    out = heads(x, ids)
    assert out.shape == (7, 4)
    for row, t in enumerate(ids.tolist()):
        width = heads.get_head(t).out_features
        torch.testing.assert_close(out[row, :width], heads.get_head(t)(x[row]))
        assert torch.isneginf(out[row, width:]).all()
    # -inf padding is harmless for cross-entropy and its gradient
    loss = torch.nn.functional.cross_entropy(out, torch.tensor([1, 0, 3, 2, 1, 0, 0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()
    assert heads(x, 1).shape == (7, 4)
    assert heads(x, torch.tensor(2)).shape == (7, 3)
    with pytest.raises(RuntimeError, match="no head for task 5"):
        heads(x, torch.tensor([0, 5, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="expected \\(7,\\)"):
        heads(x, torch.tensor([0, 1]))


def test_mtl_setup_with_dict_and_mismatch() -> None:
    heads = HeadsMTL(D)
    heads.setup_tasks([3, 4], {3: 2, 4: 5})
    assert heads.get_head(4).out_features == 5
    with pytest.raises(ValueError, match="2 task ids but 1 class counts"):
        HeadsMTL(D).setup_tasks([0, 1], [2])


def test_stl_head() -> None:
    head = HeadSTL(D)
    with pytest.raises(RuntimeError, match="not set up"):
        head(torch.randn(1, D))
    head.setup_task(3)
    assert head(torch.randn(4, D)).shape == (4, 3)
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        HeadSTL(D).setup_task(0)
