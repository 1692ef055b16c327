"""Model and LitModel wiring of the task heads: forward with every task type, prediction columns."""

from __future__ import annotations

import pytest
import torch

from halite.models.model import Model
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.nn.sets.transformer import TransformerEncoder
from halite.tasks import ClassificationTask, GaussianRegressionTask, RegressionTask, TaskBase, VertexingTask
from halite.training.module import LitModel

NORM = {"jets": {"pt": {"mean": 0.0, "std": 1.0}}, "tracks": {"d0": {"mean": 0.0, "std": 1.0}}}


def make_model(tasks: list[TaskBase]) -> LitModel:
    model = Model(
        init_nets=[InitNetConfig(input_name="tracks")],
        encoder=TransformerEncoder(embed_dim=8, num_layers=1, num_heads=2),
        pool_net=GlobalAttentionPooling(),
        tasks=tasks,
        variables={"jets": ["pt"], "tracks": ["d0"]},
        norm_dict=NORM,
    )
    return LitModel(model, name="m")


def batch() -> tuple[dict, dict, dict]:
    inputs = {"jets": torch.rand(3, 1) + 1.0, "tracks": torch.randn(3, 4, 1)}
    pad = {"tracks": torch.tensor([[False, False, True, True], [False] * 4, [False, True, True, True]])}
    labels = {
        "jets": {
            "flavour_label": torch.tensor([0, 1, 2]),
            "pt_truth": torch.rand(3) + 1.0,
            "pt": inputs["jets"][:, 0],
        },
        "tracks": {"vi": torch.tensor([[0, 1, -1, -1], [0, 0, 1, 1], [2, -1, -1, -1]])},
    }
    return inputs, pad, labels


def test_every_task_type_through_the_model() -> None:
    lit = make_model(
        [
            ClassificationTask("flav", "jets", "flavour_label"),
            RegressionTask("reg", "jets", "pt_truth"),
            GaussianRegressionTask(
                "gauss", "jets", "pt_truth", target_denominators="pt", custom_output_names="ptG"
            ),
            VertexingTask("vtx", "tracks", "vi"),
        ]
    )
    inputs, pad, labels = batch()
    outputs, losses = lit.model(inputs, pad, labels)
    assert outputs["vtx"].shape == (3, 4, 4) and outputs["gauss"].shape == (3, 2)
    assert set(losses) == {"flav", "reg", "gauss", "vtx"}
    lit.model.total_loss(losses).backward()
    cols = lit.predictions(outputs, labels, pad)
    assert set(cols["jets"]) == {"m_pb", "m_pc", "m_pu", "m_pt_truth", "gauss_ptG", "gauss_ptG_stddev"}
    assert cols["tracks"]["VertexIndex"].shape == (3, 4)
    assert (cols["tracks"]["VertexIndex"][pad["tracks"]] == -1).all()
    assert {s.name for s in lit.model.required_labels()["jets"]} == {"flavour_label", "pt_truth", "pt"}


def test_clashing_prediction_columns_fail_when_the_model_is_built() -> None:
    with pytest.raises(
        ValueError,
        match=r"Tasks 'a' and 'b' both write the prediction column '<model>_pt_truth' of 'jets'.*custom_output_names",
    ):
        make_model([RegressionTask("a", "jets", "pt_truth"), RegressionTask("b", "jets", "pt_truth")])
    # a Gaussian task named like the model collides once the model's name is known
    with pytest.raises(ValueError, match=r"Tasks 'a' and 'm' both write the prediction column 'm_pt_truth'"):
        make_model([RegressionTask("a", "jets", "pt_truth"), GaussianRegressionTask("m", "jets", "pt_truth")])
    # different columns of one target are fine
    lit = make_model(
        [RegressionTask("a", "jets", "pt_truth"), GaussianRegressionTask("b", "jets", "pt_truth")]
    )
    inputs, pad, labels = batch()
    outputs, _ = lit.model(inputs, pad, labels)
    assert set(lit.predictions(outputs, labels, pad)["jets"]) == {
        "m_pt_truth",
        "b_pt_truth",
        "b_pt_truth_stddev",
    }


def test_one_task_writing_a_column_twice_fails_at_build() -> None:
    with pytest.raises(ValueError, match=r"Task 'f' writes the prediction column '<model>_pb' twice"):
        make_model(
            [ClassificationTask("f", "jets", "flavour_label", class_names=["bjets", "singlebjets", "u"])]
        )
