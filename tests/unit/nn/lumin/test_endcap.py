"""lumin 0.9.1's AbsEndcap: forward on model outputs, predict on inputs; BTagDiscriminantEndcap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from halite.nn.lumin import AbsEndcap, BTagDiscriminantEndcap


class Double(AbsEndcap):
    def func(self, x: Tensor) -> Tensor:
        return 2 * x


class LuminStyleModel(nn.Module):
    """A lumin-style model: ``predict(inputs, as_np)``, never called directly here."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[bool] = []

    def predict(self, inputs: Any, as_np: bool = True) -> Tensor:
        self.calls.append(as_np)
        return torch.as_tensor(inputs, dtype=torch.float32) + 1

    def forward(self, x: Tensor) -> Tensor:
        msg = "AbsEndcap.forward must not call the model"
        raise AssertionError(msg)


class HaliteStyleModel(nn.Module):
    """A halite model: ``model(inputs, pad_masks) -> (outputs, losses)``."""

    def forward(
        self, inputs: dict[str, Tensor], pad_masks: dict[str, Tensor]
    ) -> tuple[dict[str, Tensor], dict]:
        assert not self.training
        return {"flav": inputs["jets"][:, :3]}, {}


def test_abs_endcap_is_abstract() -> None:
    with pytest.raises(TypeError):
        AbsEndcap(nn.Identity())  # type: ignore[abstract]


def test_forward_takes_model_outputs() -> None:
    model = LuminStyleModel()
    endcap = Double(model)
    assert endcap.model is model
    torch.testing.assert_close(endcap(torch.ones(2, 3)), 2 * torch.ones(2, 3))
    assert model.calls == []


def test_predict_runs_the_model() -> None:
    model = LuminStyleModel()
    endcap = Double(model)
    out = endcap.predict(np.zeros((2, 3)))
    assert isinstance(out, np.ndarray) and np.allclose(out, 2.0)
    as_tensor = endcap.predict(np.zeros((2, 3)), as_np=False)
    assert isinstance(as_tensor, Tensor) and torch.all(as_tensor == 2)
    assert model.calls == [False, False]  # the model's tensor predictions


def test_btag_discriminant() -> None:
    logits = torch.tensor([[2.0, 0.5, -1.0], [-1.0, 0.0, 1.0]])
    p = logits.softmax(-1)
    want = torch.log(p[:, 0] / (0.3 * p[:, 1] + 0.7 * p[:, 2]))
    endcap = BTagDiscriminantEndcap(HaliteStyleModel(), task="flav", fc=0.3)
    torch.testing.assert_close(endcap(logits), want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(endcap({"flav": logits.log_softmax(-1)}), want, rtol=1e-5, atol=1e-5)
    jets = torch.cat([logits, torch.zeros(2, 1)], -1)
    model = endcap.model.train()
    out = endcap.predict({"jets": jets.numpy()})
    assert isinstance(out, np.ndarray) and np.allclose(out, want.numpy(), atol=1e-5)
    assert model.training  # restored after predict
    with pytest.raises(ValueError, match="no task 'jets_classification'"):
        BTagDiscriminantEndcap(HaliteStyleModel())({"flav": logits})
