"""ClassRegMultiTask: lumin's ClassRegMulti tail, n_out for multi-target regression and multi-label classification."""

from __future__ import annotations

import pytest
import torch
import yaml
from jsonargparse import ArgumentParser

from halite.nn.lumin import ClassRegMulti
from halite.tasks.class_reg_multi import ClassRegMultiTask


def labels() -> dict:
    return {
        "jets": {
            "a": torch.tensor([1.0, 2.0, float("nan"), 4.0]),
            "b": torch.tensor([-1.0, 0.0, 1.0, 2.0]),
            "x": torch.tensor([1, 0, -1, 1]),
            "y": torch.tensor([0, 0, 1, -1]),
            "w": torch.tensor([1.0, 2.0, 3.0, 0.5]),
        }
    }


def test_tail_is_lumins_class_reg_multi() -> None:
    task = ClassRegMultiTask("flav", "jets", "flavour_label")
    assert task.tail is None and task.output_size == 3
    task.build(6, context_size=2)
    assert isinstance(task.tail, ClassRegMulti)
    assert (task.tail.n_in, task.tail.n_out, task.tail.objective) == (8, 3, "multiclass")
    assert list(task.state_dict()) == ["tail.dense.weight", "tail.dense.bias"]
    out = task(torch.randn(4, 6), torch.randn(4, 2))
    torch.testing.assert_close(out.exp().sum(-1), torch.ones(4))
    per_track = task(torch.randn(2, 5, 6), torch.randn(2, 2))  # (B, N, D): softmax over the classes
    assert per_track.shape == (2, 5, 3)
    torch.testing.assert_close(per_track.exp().sum(-1), torch.ones(2, 5))


def test_multi_target_regression() -> None:
    task = ClassRegMultiTask(
        "reg", "jets", ["a", "b"], "regression", y_range=[(0.0, 5.0), (-2.0, 3.0)], sample_weight="w"
    )
    assert task.n_out == 2 and task.label == ["a", "b"]
    task.build(3)
    out = task(torch.randn(4, 3))
    assert out.shape == (4, 2)
    assert ((out[:, 0] > 0) & (out[:, 0] < 5)).all() and ((out[:, 1] > -2) & (out[:, 1] < 3)).all()
    lab = labels()["jets"]
    target = torch.stack([lab["a"], lab["b"]], -1)
    valid = torch.isfinite(target)
    w = valid.float() * lab["w"][:, None]
    sq = torch.where(valid, out - target.nan_to_num(), torch.zeros_like(out)) ** 2
    torch.testing.assert_close(task.loss(out, labels(), None), (sq * w).sum() / w.sum())
    assert list(task.predictions(out, "m")) == ["m_a", "m_b"]
    assert [(s.name, s.kind) for s in task.required_labels()] == [
        ("a", "value"),
        ("b", "value"),
        ("w", "value"),
    ]


def test_multi_target_mean_std() -> None:
    task = ClassRegMultiTask(
        "reg", "jets", ["a", "b"], "regression", y_mean=[10.0, -1.0], y_std=[2.0, 0.5], n_out=2
    )
    task.build(3)
    assert task.tail is not None
    x = torch.randn(4, 3)
    torch.testing.assert_close(
        task(x), task.tail.dense(x) * torch.tensor([2.0, 0.5]) + torch.tensor([10.0, -1.0])
    )


def test_multi_label_classification() -> None:
    task = ClassRegMultiTask("tags", "jets", ["x", "y"], "classification")
    task.build(3)
    out = task(torch.randn(4, 3))
    assert out.shape == (4, 2) and ((out > 0) & (out < 1)).all()
    lab = labels()["jets"]
    target = torch.stack([lab["x"], lab["y"]], -1)
    valid = target >= 0
    bce = torch.nn.functional.binary_cross_entropy(out, target.clamp(min=0).float(), reduction="none")
    torch.testing.assert_close(task.loss(out, labels(), None), bce[valid].mean())
    assert list(task.predictions(out, "m")) == ["m_tags_x", "m_tags_y"]
    assert [(s.name, s.num_classes) for s in task.required_labels()] == [("x", 2), ("y", 2)]
    pad = torch.tensor([False, False, False, True])
    torch.testing.assert_close(task.loss(out, labels(), pad), bce[:3][valid[:3]].mean())


def test_n_out_and_label_errors() -> None:
    with pytest.raises(ValueError, match="n_out=3 but the task has 2 label fields"):
        ClassRegMultiTask("t", "jets", ["a", "b"], "regression", n_out=3)
    with pytest.raises(ValueError, match="n_out=4 but the task has 3 classes"):
        ClassRegMultiTask("t", "jets", "flavour_label", n_out=4)
    with pytest.raises(ValueError, match="multiclass reads one class-index field"):
        ClassRegMultiTask("t", "jets", ["x", "y"], "multiclass")
    with pytest.raises(ValueError, match="needs class_names or n_out"):
        ClassRegMultiTask("t", "jets", "weird_label", "multiclass")
    generic = ClassRegMultiTask("t", "jets", "weird_label", "multiclass", n_out=4)
    assert generic.class_names == ["class0", "class1", "class2", "class3"]
    with pytest.raises(ValueError, match="only apply to regression"):
        ClassRegMultiTask("t", "jets", "x", "classification", y_range=(0.0, 1.0))
    with pytest.raises(ValueError, match="min < max"):
        ClassRegMultiTask("t", "jets", ["a", "b"], "regression", y_range=[(0.0, 1.0), (2.0, 2.0)])
    with pytest.raises(ValueError, match="only one is set"):
        ClassRegMultiTask("t", "jets", "a", "regression", y_mean=1.0).build(3)


def test_old_tail_checkpoint_loads() -> None:
    task = ClassRegMultiTask("reg", "jets", "a", "regression", y_mean=1.0, y_std=2.0)
    task.build(3)
    state = {**task.state_dict(), "tail.y_mean": torch.ones(1), "tail.y_std": 2 * torch.ones(1)}
    task.load_state_dict(state, strict=True)


def test_from_yaml() -> None:
    cfg = yaml.safe_load(
        """
        task:
          class_path: halite.tasks.ClassRegMultiTask
          init_args: {name: reg, input_name: jets, label: [a, b], objective: regression, n_out: 2,
                      y_range: [[0.0, 5.0], [-2.0, 3.0]]}
        """
    )
    parser = ArgumentParser()
    parser.add_argument("--task", type=ClassRegMultiTask)
    task = parser.instantiate_classes(parser.parse_object(cfg)).task
    task.build(3)
    assert task.output_size == 2 and task.tail is not None
    torch.testing.assert_close(task.tail.y_min, torch.tensor([0.0, -2.0]))
