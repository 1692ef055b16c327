"""The paradigm heads against CLArena's ``clarena.heads`` (the seed's documentation and source).

Reference: /work/shared/seeds/002_0d577cfb3253c2b0.txt (CLArena's HeadsTIL, HeadsCIL, HeadDIL,
HeadsMTL and HeadSTL, with their source). The pinned state-dict key lists are what that source
gives (``heads[f"{task_id}"]`` ModuleDict keys; ``HeadsTIL.head_t`` a registered submodule after
``heads``); the weights are small integers so that the outputs are computed by hand below.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict

import pytest
import torch
from torch import Tensor, nn

from halite.continual.heads import HeadDIL, HeadNotSetUpError, HeadsCIL, HeadsMTL, HeadsTIL, HeadSTL

D = 3
X = torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]])  # features (B=2, D=3)

# task 1: 2 classes, task 2: 3 classes (hand-set weights, biases)
W1 = torch.tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
B1 = torch.tensor([0.5, -1.0])
W2 = torch.tensor([[0.0, 1.0, 1.0], [-1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
B2 = torch.tensor([0.0, 2.0, -0.5])
# X @ W1.T + B1 and X @ W2.T + B2, by hand
OUT1 = torch.tensor([[1 - 3 + 0.5, 2 + 2 - 1.0], [0 - 2 + 0.5, 0 - 1 - 1.0]])
OUT2 = torch.tensor([[2 + 3 + 0.0, -1 + 2.0, 6 - 0.5], [-1 + 2 + 0.0, 0 + 2.0, 1 - 0.5]])


def signature(fn: object) -> list[tuple[str, object]]:
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    return [
        (p.name, p.default)
        for p in sig.parameters.values()
        if p.name != "self" and p.kind is not inspect.Parameter.KEYWORD_ONLY
    ]


def test_signatures_are_clarenas() -> None:
    empty = inspect.Parameter.empty
    assert signature(HeadsTIL.__init__) == [("input_dim", empty)]
    assert signature(HeadsTIL.setup_task_id) == [("task_id", empty), ("num_classes_t", empty)]
    assert signature(HeadsTIL.get_head) == [("task_id", empty)]
    assert signature(HeadsTIL.forward) == [("feature", empty), ("task_id", empty)]
    assert signature(HeadsCIL.__init__) == [("input_dim", empty)]
    assert signature(HeadsCIL.setup_task_id) == [("task_id", empty), ("num_classes_t", empty)]
    assert signature(HeadsCIL.forward) == [("feature", empty), ("task_id", None)]
    assert signature(HeadDIL.__init__) == [("input_dim", empty)]
    assert signature(HeadDIL.if_head_setup) == []
    assert signature(HeadDIL.get_head) == [("task_id", None)]
    assert signature(HeadDIL.setup_task) == [("num_classes", empty)]
    assert signature(HeadDIL.forward) == [("feature", empty), ("task_id", None)]
    assert signature(HeadsMTL.__init__) == [("input_dim", empty)]
    assert signature(HeadsMTL.setup_tasks) == [("task_ids", empty), ("num_classes", empty)]
    assert signature(HeadsMTL.get_head) == [("task_id", empty)]
    assert signature(HeadsMTL.forward) == [("feature", empty), ("task_ids", empty)]
    assert signature(HeadSTL.__init__) == [("input_dim", empty)]
    assert signature(HeadSTL.setup_task) == [("num_classes", empty)]
    assert signature(HeadSTL.forward) == [("feature", empty)]


def test_til_attributes_after_each_setup() -> None:
    heads = HeadsTIL(D)
    assert heads.input_dim == D and heads.head_t is None and len(heads.heads) == 0
    assert not hasattr(heads, "task_id")  # CLArena only annotates it in __init__
    assert list(heads.state_dict()) == []
    heads.setup_task_id(1, 2)
    assert heads.task_id == 1 and heads.head_t is heads.heads["1"]
    assert list(heads.state_dict()) == ["heads.1.weight", "heads.1.bias", "head_t.weight", "head_t.bias"]
    heads.setup_task_id(2, 3)
    assert heads.task_id == 2 and heads.head_t is heads.heads["2"] and list(heads.heads) == ["1", "2"]
    assert list(heads.state_dict()) == [
        "heads.1.weight",
        "heads.1.bias",
        "heads.2.weight",
        "heads.2.bias",
        "head_t.weight",
        "head_t.bias",
    ]
    assert heads.get_head(2) is heads.heads["2"] and heads.get_head(1).out_features == 2
    # head_t is the same module as heads["2"]: its parameters are not trained twice
    assert len(list(heads.parameters())) == 4


def til_state() -> OrderedDict[str, Tensor]:
    """A CLArena HeadsTIL(3) state dict after setup_task_id(1, 2), setup_task_id(2, 3)."""
    return OrderedDict(
        [
            ("heads.1.weight", W1),
            ("heads.1.bias", B1),
            ("heads.2.weight", W2),
            ("heads.2.bias", B2),
            ("head_t.weight", W2),
            ("head_t.bias", B2),
        ]
    )


def test_til_loads_clarena_state_dict_strictly() -> None:
    heads = HeadsTIL(D)
    heads.setup_task_id(1, 2)
    heads.setup_task_id(2, 3)
    heads.load_state_dict(til_state(), strict=True)
    torch.testing.assert_close(heads(X, 1), OUT1)
    torch.testing.assert_close(heads(X, 2), OUT2)
    torch.testing.assert_close(heads.head_t(X), OUT2)  # type: ignore[misc]
    torch.testing.assert_close(heads.get_head(1)(X), OUT1)


def test_til_resetup_is_a_fresh_head_by_default_and_kept_on_option() -> None:
    torch.manual_seed(0)
    heads = HeadsTIL(D)
    heads.setup_task_id(1, 2)
    heads.setup_task_id(2, 3)
    heads.load_state_dict(til_state())
    first = heads.heads["1"]
    heads.setup_task_id(1, 4)  # CLArena: a new head, here even with another class count
    assert heads.heads["1"] is not first and heads.heads["1"].out_features == 4
    assert heads.task_id == 1 and heads.head_t is heads.heads["1"] and list(heads.heads) == ["1", "2"]

    kept = HeadsTIL(D, keep_existing_heads=True)
    kept.setup_task_id(1, 2)
    kept.setup_task_id(2, 3)
    kept.load_state_dict(til_state())
    first = kept.heads["1"]
    kept.setup_task_id(1, 2)
    assert kept.heads["1"] is first and kept.head_t is first and kept.task_id == 1
    torch.testing.assert_close(kept(X, 1), OUT1)
    with pytest.raises(ValueError, match="has 2 classes, not 5"):
        kept.setup_task_id(1, 5)


def test_til_unknown_task_raises_key_error_as_clarena() -> None:
    heads = HeadsTIL(D)
    heads.setup_task_id(1, 2)
    with pytest.raises(KeyError):
        heads.get_head(3)
    with pytest.raises(RuntimeError, match=r"no head for task 3 \(set up: \['1'\]\).*setup_task_id\(3"):
        heads(X, 3)
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        heads.setup_task_id(2, 0)


def cil_state() -> OrderedDict[str, Tensor]:
    """A CLArena HeadsCIL(3) state dict after setup_task_id(1, 2), setup_task_id(2, 3)."""
    return OrderedDict(
        [("heads.1.weight", W1), ("heads.1.bias", B1), ("heads.2.weight", W2), ("heads.2.bias", B2)]
    )


def test_cil_attributes_state_dict_and_outputs() -> None:
    heads = HeadsCIL(D)
    assert heads.input_dim == D and heads.processed_task_ids == [] and len(heads.heads) == 0
    assert not hasattr(heads, "task_id")
    with pytest.raises(RuntimeError, match="no task set up yet"):
        heads(X)
    heads.setup_task_id(1, 2)
    assert heads.task_id == 1 and heads.processed_task_ids == [1]
    assert list(heads.state_dict()) == ["heads.1.weight", "heads.1.bias"]
    heads.setup_task_id(2, 3)
    assert heads.task_id == 2 and heads.processed_task_ids == [1, 2]
    assert list(heads.state_dict()) == list(cil_state())
    heads.load_state_dict(cil_state(), strict=True)
    expected = torch.cat([OUT1, OUT2], dim=-1)
    torch.testing.assert_close(heads(X), expected)
    torch.testing.assert_close(heads(X, task_id=1), expected)  # the task id is ignored
    assert heads.class_offset(1) == 0 and heads.class_offset(2) == 2
    with pytest.raises(KeyError):
        heads.get_head(7)


def test_cil_concatenates_in_setup_order() -> None:
    heads = HeadsCIL(D)
    heads.setup_task_id(5, 2)
    heads.setup_task_id(1, 3)
    assert heads.processed_task_ids == [5, 1]
    out = heads(X)
    torch.testing.assert_close(out[:, :2], heads.get_head(5)(X))
    torch.testing.assert_close(out[:, 2:], heads.get_head(1)(X))
    assert heads.class_offset(5) == 0 and heads.class_offset(1) == 2


def test_cil_resetup_repeats_the_task_by_default_and_is_kept_on_option() -> None:
    heads = HeadsCIL(D)
    heads.setup_task_id(1, 2)
    heads.setup_task_id(2, 3)
    heads.load_state_dict(cil_state())
    heads.setup_task_id(1, 2)  # CLArena: a fresh head 1, and id 1 recorded again
    assert heads.processed_task_ids == [1, 2, 1] and heads.task_id == 1
    assert heads(X).shape == (2, 7) and list(heads.state_dict()) == list(cil_state())
    assert not torch.equal(heads.get_head(1).weight.detach(), W1)

    kept = HeadsCIL(D, keep_existing_heads=True)
    kept.setup_task_id(1, 2)
    kept.setup_task_id(2, 3)
    kept.load_state_dict(cil_state())
    kept.setup_task_id(1, 2)
    assert kept.processed_task_ids == [1, 2] and kept.task_id == 1
    torch.testing.assert_close(kept(X), torch.cat([OUT1, OUT2], dim=-1))
    with pytest.raises(ValueError, match="has 3 classes, not 2"):
        kept.setup_task_id(2, 2)


def test_dil_attributes_state_dict_and_outputs() -> None:
    head = HeadDIL(D)
    assert head.input_dim == D and head.head is None and head.get_head() is None
    assert head._if_head_setup is False and head.if_head_setup() is False
    assert list(head.state_dict()) == []
    with pytest.raises(TypeError, match=r"not set up.*setup_task"):  # CLArena: calling a None head
        head(X)
    head.setup_task(2)
    assert head._if_head_setup is True and head.if_head_setup() is True
    assert head.get_head() is head.head and head.get_head(task_id=4) is head.head
    assert list(head.state_dict()) == ["head.weight", "head.bias"]
    head.load_state_dict(OrderedDict([("head.weight", W1), ("head.bias", B1)]), strict=True)
    torch.testing.assert_close(head(X), OUT1)
    torch.testing.assert_close(head(X, task_id=1), head(X, task_id=9))


def test_dil_resetup_is_a_fresh_head_by_default_and_kept_on_option() -> None:
    head = HeadDIL(D)
    head.setup_task(2)
    first = head.head
    head.setup_task(3)  # CLArena: a new head on every call
    assert head.head is not first and head.get_head().out_features == 3  # type: ignore[union-attr]

    kept = HeadDIL(D, keep_existing_heads=True)
    kept.setup_task(2)
    first = kept.head
    kept.setup_task(2)
    assert kept.head is first and kept.if_head_setup()
    with pytest.raises(ValueError, match="has 2 classes, not 3"):
        kept.setup_task(3)


def test_mtl_attributes_state_dict_and_outputs() -> None:
    heads = HeadsMTL(D)
    assert heads.input_dim == D and len(heads.heads) == 0
    with pytest.raises(KeyError):
        heads(X, 1)
    heads.setup_tasks([1, 2, 3], {1: 2, 2: 3, 3: 2})
    assert list(heads.state_dict()) == [f"heads.{t}.{p}" for t in (1, 2, 3) for p in ("weight", "bias")]
    state = OrderedDict(
        [
            ("heads.1.weight", W1),
            ("heads.1.bias", B1),
            ("heads.2.weight", W2),
            ("heads.2.bias", B2),
            ("heads.3.weight", -W1),
            ("heads.3.bias", -B1),
        ]
    )
    heads.load_state_dict(state, strict=True)
    torch.testing.assert_close(heads(X, 2), OUT2)
    torch.testing.assert_close(heads(X, torch.tensor(1)), OUT1)
    # per-sample ids of heads with the same width: CLArena's output, rows in input order
    torch.testing.assert_close(heads(X, torch.tensor([3, 1])), torch.stack([-OUT1[0], OUT1[1]]))
    torch.testing.assert_close(heads.get_head(3)(X), -OUT1)
    # another width: CLArena crashes, halite pads with -inf
    mixed = heads(X, torch.tensor([2, 1]))
    torch.testing.assert_close(mixed[0], OUT2[0])
    torch.testing.assert_close(mixed[1, :2], OUT1[1])
    assert torch.isneginf(mixed[1, 2])


def test_mtl_mixed_task_ids_routed_in_input_order() -> None:
    heads = HeadsMTL(D)
    heads.setup_tasks([1, 2, 3], [2, 4, 3])  # halite: a list aligned with task_ids
    x = torch.randn(7, D, requires_grad=True)
    ids = torch.tensor([3, 1, 2, 2, 1, 3, 2])
    out = heads(x, ids)
    assert out.shape == (7, 4)
    for row, t in enumerate(ids.tolist()):
        width = heads.get_head(t).out_features
        torch.testing.assert_close(out[row, :width], heads.get_head(t)(x[row]))
        assert torch.isneginf(out[row, width:]).all()
    # -inf padding is harmless for cross-entropy and its gradient
    loss = nn.functional.cross_entropy(out, torch.tensor([1, 0, 3, 2, 1, 0, 0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="no head for task 5"):
        heads(x, torch.tensor([1, 5, 1, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match="expected \\(7,\\)"):
        heads(x, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="2 task ids but 1 class counts"):
        HeadsMTL(D).setup_tasks([1, 2], [2])
    with pytest.raises(ValueError, match="no class count for task 2"):
        HeadsMTL(D).setup_tasks([1, 2], {1: 2})


def test_stl_attributes_state_dict_and_outputs() -> None:
    head = HeadSTL(D)
    assert head.input_dim == D and head.head is None and list(head.state_dict()) == []
    with pytest.raises(TypeError, match="not set up"):
        head(X)
    head.setup_task(3)
    assert list(head.state_dict()) == ["head.weight", "head.bias"]
    head.load_state_dict(OrderedDict([("head.weight", W2), ("head.bias", B2)]), strict=True)
    torch.testing.assert_close(head(X), OUT2)
    first = head.head
    head.setup_task(2)
    assert head.head is not first and head(X).shape == (2, 2)
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        HeadSTL(D).setup_task(0)


def test_not_set_up_error_is_runtime_key_and_type_error() -> None:
    err = HeadNotSetUpError("no head")
    assert isinstance(err, RuntimeError) and isinstance(err, KeyError) and isinstance(err, TypeError)
    assert str(err) == "no head"  # not KeyError's quoted repr
