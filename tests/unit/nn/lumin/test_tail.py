"""lumin 0.9.1's tails: ClassRegMulti matches lumin on its documented examples; IdentTail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from halite.nn.lumin import ClassRegMulti, IdentTail, lookup_uniform_init
from tests.unit.nn.lumin.weights import fixed_input, set_weights

# ``targets`` of the documentation's examples: 1-d for the single range, (8, 6) with columns of both
# signs (column 3 all positive, column 4 all negative) for the per-output ranges.
TARGETS_1 = np.linspace(1.0, 5.0, 9)
TARGETS_6 = np.sin(np.arange(48, dtype=np.float64).reshape(8, 6) * 0.7) * np.arange(1, 7) + np.array(
    [0, 0, 0, 5, -10, 0]
)


def per_output_range(targets: np.ndarray) -> np.ndarray:
    """The documentation's recipe: 20 % leeway outwards on both ends of every column."""
    min_targs = np.min(targets, axis=0).reshape(targets.shape[1], 1)
    max_targs = np.max(targets, axis=0).reshape(targets.shape[1], 1)
    min_targs[min_targs > 0] *= 0.8
    min_targs[min_targs < 0] *= 1.2
    max_targs[max_targs > 0] *= 1.2
    max_targs[max_targs < 0] *= 0.8
    return np.hstack((min_targs, max_targs))


EXAMPLES: dict[str, Callable[[], ClassRegMulti]] = {
    "crm_class": lambda: ClassRegMulti(n_in=100, n_out=1, objective="classification"),
    "crm_multiclass": lambda: ClassRegMulti(n_in=100, n_out=5, objective="multiclass"),
    "crm_yrange": lambda: ClassRegMulti(
        n_in=100, n_out=1, objective="regression", y_range=(0.8 * TARGETS_1.min(), 1.2 * TARGETS_1.max())
    ),
    "crm_yrange6": lambda: ClassRegMulti(
        n_in=100,
        n_out=6,
        objective="regression",
        y_range=per_output_range(TARGETS_6),
        lookup_init=lookup_uniform_init,
    ),
    # not a documented example: linear output rescaled per output
    "crm_mean_std": lambda: ClassRegMulti(
        n_in=100, n_out=2, objective="regression", y_mean=[1.0, -2.0], y_std=[2.0, 0.5]
    ),
}

# lumin 0.9.1 (bench/.venv-lumin, torch 2.13 cpu), these examples: get_out_size(), get_param_count(), the
# state-dict keys and shapes, and in eval mode after ``set_weights`` the output on ``fixed_input(4, 100)``
# (rows 0-1, at most 3 columns, and the sum of all).
LUMIN: dict[str, dict[str, Any]] = {
    "crm_class": {
        "out": 1,
        "params": 101,
        "eval_rows": [[0.766244], [0.382659]],
        "eval_sum": 2.2286,
        "keys": [
            ("dense.weight", (1, 100)),
            ("dense.bias", (1,)),
        ],
    },
    "crm_multiclass": {
        "out": 5,
        "params": 505,
        "eval_rows": [[-0.613281, -1.469285, -2.437768], [-2.245494, -2.376233, -1.929917]],
        "eval_sum": -37.5795,
        "keys": [
            ("dense.weight", (5, 100)),
            ("dense.bias", (5,)),
        ],
    },
    "crm_yrange": {
        "out": 1,
        "params": 101,
        "eval_rows": [[4.784471], [2.789829]],
        "eval_sum": 14.7887,
        "keys": [
            ("dense.weight", (1, 100)),
            ("dense.bias", (1,)),
        ],
    },
    "crm_yrange6": {
        "out": 6,
        "params": 606,
        "eval_rows": [[0.532625, -0.015761, -0.24811], [-0.276196, -0.940337, 0.416523]],
        "eval_sum": -18.2214,
        "keys": [
            ("dense.weight", (6, 100)),
            ("dense.bias", (6,)),
        ],
    },
    "crm_mean_std": {
        "out": 2,
        "params": 202,
        "eval_rows": [[3.374449, -1.83439], [0.043449, -2.304507]],
        "eval_sum": -1.0388,
        "keys": [
            ("dense.weight", (2, 100)),
            ("dense.bias", (2,)),
        ],
    },
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_matches_lumin(name: str) -> None:
    want = LUMIN[name]
    tail = EXAMPLES[name]()
    assert tail.get_out_size() == want["out"]
    assert tail.get_param_count() == want["params"]
    assert [(k, tuple(v.shape)) for k, v in tail.state_dict().items()] == want["keys"]
    set_weights(tail)
    tail.eval()
    with torch.no_grad():
        out = tail(fixed_input(4, 100))
    assert out.shape == (4, want["out"])
    torch.testing.assert_close(out[:2, :3], torch.tensor(want["eval_rows"]), rtol=1e-5, atol=1e-5)
    assert out.double().sum().item() == pytest.approx(want["eval_sum"], rel=1e-5, abs=1e-3)


def test_positional_order_and_layers() -> None:
    tail = ClassRegMulti(100, 5, "multiclass")
    assert tail.dense.in_features == 100 and tail.dense.out_features == 5
    assert tail[0] is tail.dense and isinstance(tail[1], torch.nn.LogSoftmax)
    with pytest.raises(IndexError, match="out of range"):
        tail[2]
    assert torch.all(tail.dense.bias == 0.2)  # multiclass bias: 1 / n_out
    assert torch.all(ClassRegMulti(4, 3, "multiclass", bias_init=-1.0).dense.bias == -1.0)
    assert torch.all(ClassRegMulti(4, 3, "classification").dense.bias == 0)
    assert isinstance(ClassRegMulti(4, 2, "regression", y_range=(0, 1))[1], torch.nn.Sigmoid)


def test_outputs_per_objective() -> None:
    x = torch.randn(16, 5)
    probs = ClassRegMulti(5, 3, "classification")(x)
    assert ((probs > 0) & (probs < 1)).all()  # multi-label: a sigmoid per output
    torch.testing.assert_close(ClassRegMulti(5, 3, "multiclass")(x).exp().sum(-1), torch.ones(16))
    lin = ClassRegMulti(5, 2, "regression")
    torch.testing.assert_close(lin(x), lin.dense(x))
    ranged = ClassRegMulti(5, 2, "regression", y_range=[[-1.0, 0.0], [10.0, 20.0]])
    out = ranged(x)
    assert (
        (out[:, 0] > -1).all() and (out[:, 0] < 0).all() and (out[:, 1] > 10).all() and (out[:, 1] < 20).all()
    )
    flipped = ClassRegMulti(5, 1, "regression", y_range=(3.0, 1.0))  # lumin: min and |max - min|
    torch.testing.assert_close(flipped(x), 1.0 + 2.0 * torch.sigmoid(flipped.dense(x)))
    cls_range = ClassRegMulti(5, 1, "classification", y_range=(1.0, 2.0))  # lumin rescales the sigmoid too
    torch.testing.assert_close(cls_range(x), 1.0 + torch.sigmoid(cls_range.dense(x)))


@pytest.mark.parametrize(
    ("y_mean", "y_std"),
    [(1.5, 2.0), (np.array(1.5), np.array(2.0)), ([1.5, 1.5], [2.0, 2.0]), (np.array([1.5]), 2)],
)
def test_mean_std_rescaling(y_mean: Any, y_std: Any) -> None:
    tail = ClassRegMulti(5, 2, "regression", y_mean=y_mean, y_std=y_std)
    x = torch.randn(4, 5)
    assert tail.rescale
    torch.testing.assert_close(tail(x), 2.0 * tail.dense(x) + 1.5)


def test_rescaling_buffers_stay_out_of_the_state_dict() -> None:
    tail = ClassRegMulti(5, 2, "regression", y_range=(0.0, 4.0))
    assert list(tail.state_dict()) == ["dense.weight", "dense.bias"]
    assert tail.y_min is not None and tail.y_min.dtype == torch.float32
    tail.double()
    assert (
        tail.y_min.dtype == torch.float64 and tail.y_diff is not None and tail.y_diff.dtype == torch.float64
    )
    assert tail(torch.randn(3, 5, dtype=torch.float64)).dtype == torch.float64
    scaled = ClassRegMulti(5, 2, "regression", y_mean=[0.0, 1.0], y_std=[1.0, 3.0])
    assert list(scaled.state_dict()) == ["dense.weight", "dense.bias"]


def test_errors_and_warnings() -> None:
    with pytest.raises(ValueError, match="only one is set"):
        ClassRegMulti(5, 1, "regression", y_mean=1.0)
    with pytest.raises(ValueError, match="only one is set"):
        ClassRegMulti(5, 1, "regression", y_std=1.0)
    with pytest.raises(ValueError, match="set only one rescaling"):
        ClassRegMulti(5, 1, "regression", y_range=(0, 1), y_mean=0.0, y_std=1.0)
    with pytest.raises(ValueError, match=r"shape \(3, 2\) for n_out=2"):
        ClassRegMulti(5, 2, "regression", y_range=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="y_std has 3 values for n_out=2"):
        ClassRegMulti(5, 2, "regression", y_mean=0.0, y_std=[1.0, 2.0, 3.0])
    with pytest.warns(UserWarning, match="bias_init=3.0 is ignored"):
        tail = ClassRegMulti(5, 1, "regression", bias_init=3.0, y_mean=1.0, y_std=2.0)
    assert tail.bias_init is None and torch.all(tail.dense.bias == 0)


def test_freeze_and_ident_tail() -> None:
    tail = ClassRegMulti(5, 2, "regression", freeze=True)
    assert tail.get_param_count() == 0 and tail.get_param_count(trainable=False) == 12
    ident = IdentTail(n_in=3, n_out=3, objective="regression")
    x = torch.randn(2, 3)
    assert ident(x) is x and ident.get_out_size() == 3
