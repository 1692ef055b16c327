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
