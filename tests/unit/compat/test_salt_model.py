"""halite.compat.salt_model: salt's dense configs, losses and tasks as functions (translate covers them in context)."""

from __future__ import annotations

import pytest

from halite.compat.salt_model import SaltConfigError, dense, loss, take, task


def test_dense_drops_sizes_halite_computes_and_writes_salts_default_hidden_layer() -> None:
    notes: list[str] = []
    out = dense({"input_size": 4, "context_size": 3, "hidden_dim_scale": 3, "output_size": 2}, "d", notes)
    assert out == {"output_size": 2, "hidden_layers": [12]}
    assert dense({"hidden_layers": [5], "activation": "SiLU"}, "d", notes) == {
        "hidden_layers": [5],
        "activation": "SiLU",
    }
    with pytest.raises(SaltConfigError, match="`d.hidden_layers`"):
        dense({}, "d", notes)
    with pytest.raises(SaltConfigError, match="d.widths"):
        dense({"widths": [3]}, "d", notes)


def test_loss_reduction_none_and_bare_names() -> None:
    notes: list[str] = []
    assert loss("MSELoss", "l", notes) == {
        "class_path": "torch.nn.MSELoss",
        "init_args": {"reduction": "none"},
    }
    kept = loss({"class_path": "torch.nn.BCEWithLogitsLoss", "init_args": {"reduction": "none"}}, "l", notes)
    assert kept["init_args"] == {"reduction": "none"}
    assert len(notes) == 1  # only the changed reduction is noted


def test_task_context_note_for_a_constituent_head_without_context() -> None:
    notes: list[str] = []
    node = {"class_path": "salt.models.VertexingTask",
            "init_args": {"name": "v", "input_name": "tracks", "label": "idx", "dense_config": {"input_size": 8, "hidden_layers": [4]}}}  # fmt: skip
    out = task(node, "t", notes, "jets", 6)
    assert out["class_path"] == "halite.tasks.VertexingTask"
    assert any("no context" in n and "6 features" in n for n in notes)
    assert out["init_args"]["loss_weighting"] == "salt"  # salt's origin-weighted pair loss


def test_take_names_unknown_keys() -> None:
    with pytest.raises(SaltConfigError, match=r"`w.b`.*\['a'\]"):
        take({"a": 1, "b": 2}, {"a"}, "w")


def test_regression_task_sample_weight_keeps_salts_meaning() -> None:
    node = {"class_path": "salt.models.RegressionTask",
            "init_args": {"name": "r", "input_name": "jets", "targets": ["m", "pt"], "sample_weight": "w",
                          "norm_params": {"mean": [1.0, 2.0], "std": [3.0, 4.0]}}}  # fmt: skip
    out = task(node, "t", [], "jets", 6)
    assert out["init_args"]["sample_weight"] == "w"  # halite's task: salt's sum(w * l) / n
    assert out["init_args"]["targets"] == ["m", "pt"]
    assert out["init_args"]["mean_over"] == "entries"  # salt's nan_loss denominator
