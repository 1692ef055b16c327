"""LitModel ``optimizer`` (AdamW / lion) and ``loss_mode`` (wsum / GLS), as salt's ModelWrapper."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest
import torch
from lion_pytorch import Lion
from torch import nn

from halite.tasks import ClassificationTask, RegressionTask
from halite.training.module import LitModel, LRSConfig
from tests.unit.training.test_task_wiring import make_model


def tasks(weight: float = 1.0) -> list:
    return [
        ClassificationTask(name="cls", input_name="jets", label="flavour_label", class_names=["b", "c", "u"]),
        RegressionTask(name="reg", input_name="jets", targets=["pt_truth"], weight=weight),
    ]


def lit(**kwargs: object) -> LitModel:
    base = make_model(tasks())
    return LitModel(base.model, name="m", **kwargs)  # type: ignore[arg-type]


def test_lion_follows_lrs_config() -> None:
    model = lit(optimizer="lion", lrs_config=LRSConfig(initial=2e-8, max=1e-4, end=2e-6, weight_decay=1e-5))
    model._trainer = SimpleNamespace(estimated_stepping_batches=1000)  # type: ignore[assignment]
    cfg = model.configure_optimizers()
    opt = cfg["optimizer"]
    assert isinstance(opt, Lion)
    assert opt.param_groups[0]["weight_decay"] == 1e-5
    # the one-cycle schedule starts at lrs_config.initial (salt's OneCycleLR on Lion)
    assert opt.param_groups[0]["lr"] == pytest.approx(2e-8)
    assert cfg["lr_scheduler"]["interval"] == "step"


def test_adamw_stays_the_default() -> None:
    model = lit()
    model._trainer = SimpleNamespace(estimated_stepping_batches=10)  # type: ignore[assignment]
    assert type(model.configure_optimizers()["optimizer"]) is torch.optim.AdamW


def test_gls_total_loss_and_weights() -> None:
    losses = {"cls": torch.tensor(2.0), "reg": torch.tensor(8.0)}
    assert lit(loss_mode="GLS").total_loss(losses).item() == pytest.approx(4.0)  # sqrt(2 * 8)
    assert lit().total_loss(losses).item() == pytest.approx(10.0)
    weighted = cast(nn.Module, make_model(tasks(weight=2.0)).model)
    assert LitModel(weighted).total_loss(losses).item() == pytest.approx(18.0)
    with pytest.raises(ValueError, match="GLS does not use task weights"):
        LitModel(weighted, loss_mode="GLS")


def test_unknown_choices_raise() -> None:
    with pytest.raises(ValueError, match="optimizer='SGD'"):
        lit(optimizer="SGD")
    with pytest.raises(ValueError, match="loss_mode='mean'"):
        lit(loss_mode="mean")


def test_fused_adamw_steps_as_the_default_one() -> None:
    """``fused=True`` (one kernel per step; CPU and CUDA) takes the same step as torch's default AdamW."""
    steps = {}
    for fused in (None, True):
        torch.manual_seed(0)
        model = lit(fused=fused)
        model._trainer = SimpleNamespace(estimated_stepping_batches=10)  # type: ignore[assignment]
        opt = model.configure_optimizers()["optimizer"]
        assert opt.defaults["fused"] is fused
        for p in model.parameters():
            p.grad = torch.ones_like(p)
        opt.step()
        steps[fused] = torch.cat([p.detach().flatten() for p in model.parameters()])
    torch.testing.assert_close(steps[True], steps[None])
    with pytest.raises(ValueError, match="fused=True is an AdamW option"):
        lit(optimizer="lion", fused=True)
