"""halite.models.multitask: the weighted sum and the geometric mean (salt's GLS) of the task losses."""

from __future__ import annotations

import pytest
import torch

from halite.models.multitask import check_gls_weights, geometric_loss
from halite.tasks import ClassificationTask


def test_geometric_loss_is_the_geometric_mean() -> None:
    # hand-computed: (2 * 8) ** (1 / 2) = 4; (1 * 2 * 4) ** (1 / 3) = 2
    assert geometric_loss({"a": torch.tensor(2.0), "b": torch.tensor(8.0)}).item() == pytest.approx(4.0)
    three = {"a": torch.tensor(1.0), "b": torch.tensor(2.0), "c": torch.tensor(4.0, requires_grad=True)}
    loss = geometric_loss(three)
    assert loss.item() == pytest.approx(2.0)
    loss.backward()  # d/dc (abc)^(1/3) = (abc)^(1/3) / (3c) = 2 / 12
    assert three["c"].grad is not None and three["c"].grad.item() == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="at least one task loss"):
        geometric_loss({})


def test_gls_needs_unit_task_weights() -> None:
    tasks = [
        ClassificationTask(name="a", input_name="jets", label="flavour_label", class_names=["b", "c"]),
        ClassificationTask(
            name="b", input_name="jets", label="flavour_label", class_names=["b", "c"], weight=2.0
        ),
    ]
    check_gls_weights(tasks[:1])
    with pytest.raises(ValueError, match=r"weights \{'b': 2.0\}"):
        check_gls_weights(tasks)


def test_a_plain_label_read_merges_with_a_checked_one() -> None:
    """Vertexing's salt weighting reads the origin label that the track-origin task reads with checks."""
    from torch import nn

    from halite.models.multitask import MultiTask
    from halite.tasks import VertexingTask

    origin = ClassificationTask(
        name="track_origin", input_name="tracks", label="ftagTruthOriginLabel", class_names=list("abcdefgh")
    )
    vertexing = VertexingTask("vtx", "tracks", "ftagTruthVertexIndex", loss_weighting="salt")
    for tasks in ([origin, vertexing], [vertexing, origin]):
        model = MultiTask()
        model.tasks = nn.ModuleList(tasks)
        specs = {s.name: s for s in model.required_labels()["tracks"]}
        assert specs["ftagTruthOriginLabel"].num_classes == 8  # the checked read wins
    clash = ClassificationTask(
        name="other", input_name="tracks", label="ftagTruthOriginLabel", class_names=list("abc")
    )
    model = MultiTask()
    model.tasks = nn.ModuleList([origin, clash])
    with pytest.raises(ValueError, match="two different settings"):
        model.required_labels()
