"""RegressionTargetScaler: round trips, slopes and errors."""

from __future__ import annotations

import pytest
import torch

from halite.tasks import RegressionTargetScaler, TargetScale

SCALES = {
    "log": TargetScale(op="log", x_scale=1e-3, x_off=1.0, op_scale=1.5, op_off=-5.5),
    "exp": TargetScale(op="exp", x_scale=0.5, x_off=-1.0, op_scale=2.0, op_off=0.3),
    "linear": TargetScale(op="linear", x_scale=3.0, x_off=2.0, op_scale=-0.5, op_off=1.0),
}


@pytest.mark.parametrize("op", sorted(SCALES))
def test_round_trip_is_identity(op: str) -> None:
    scaler = RegressionTargetScaler(SCALES)
    x = torch.linspace(20e3, 1.5e6, 50, dtype=torch.float64) if op == "log" else torch.linspace(-2, 3, 50)
    x = x.double()
    y = scaler.scale(op, x)
    assert not torch.allclose(y, x)
    torch.testing.assert_close(scaler.inverse(op, y), x)
    torch.testing.assert_close(scaler.scale(op, scaler.inverse(op, y)), y)


@pytest.mark.parametrize("op", sorted(SCALES))
def test_inverse_slope_matches_autograd(op: str) -> None:
    scaler = RegressionTargetScaler(SCALES)
    y = torch.linspace(-1.0, 1.0, 7, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(scaler.inverse(op, y).sum(), y)
    torch.testing.assert_close(scaler.inverse_slope(op, y.detach()), grad.abs())


def test_log_scale_values() -> None:
    scaler = RegressionTargetScaler({"pt": {"op": "log", "x_scale": 1e-3}})  # type: ignore[dict-item]
    torch.testing.assert_close(
        scaler.scale("pt", torch.tensor([1000.0, 20000.0])), torch.log(torch.tensor([1.0, 20.0]))
    )


def test_errors() -> None:
    with pytest.raises(ValueError, match="not invertible"):
        TargetScale(op="log", x_scale=0.0)
    with pytest.raises(ValueError, match="op must be one of"):
        TargetScale(op="sqrt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one target"):
        RegressionTargetScaler({})
    scaler = RegressionTargetScaler(SCALES)
    with pytest.raises(ValueError, match=r"Task 'r': the scaler has no entry for targets \['pt'\]"):
        scaler.check_targets(["log", "pt"], "r")
    with pytest.raises(KeyError, match="no entry for target 'pt'"):
        scaler.scale("pt", torch.ones(2))
