"""Regression heads: scaling options and their errors, NaN masking, Gaussian NLL, de-scaling."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from halite.nn.layers.dense import DenseConfig
from halite.tasks import (
    GaussianRegressionTask,
    NormParams,
    RegressionTargetScaler,
    RegressionTask,
    TargetScale,
)


def labels(**cols: list[float]) -> dict[str, dict[str, torch.Tensor]]:
    return {"jets": {k: torch.tensor(v) for k, v in cols.items()}}


def test_single_scaling_method() -> None:
    with pytest.raises(
        ValueError, match=r"Task 'r': use a single scaling method.*\['scaler', 'norm_params'\]"
    ):
        RegressionTask(
            "r",
            "jets",
            "pt",
            scaler=RegressionTargetScaler({"pt": TargetScale(op="log")}),
            norm_params=NormParams([0.0], [1.0]),
        )
    with pytest.raises(ValueError, match=r"\['target_denominators', 'norm_params'\]"):
        RegressionTask("r", "jets", "pt", target_denominators="x", norm_params=NormParams([0.0], [1.0]))


def test_counts_must_match_targets() -> None:
    with pytest.raises(ValueError, match=r"Task 'r': 1 target_denominators \['a'\] for 2 targets"):
        RegressionTask("r", "jets", ["pt", "m"], target_denominators=["a"])
    with pytest.raises(ValueError, match=r"Task 'r': norm_params.mean has 1 values \[0.0\] for 2 targets"):
        RegressionTask("r", "jets", ["pt", "m"], norm_params=NormParams([0.0], [1.0, 1.0]))
    with pytest.raises(ValueError, match=r"Task 'r': norm_params.std has 3 values"):
        RegressionTask("r", "jets", ["pt", "m"], norm_params=NormParams([0.0, 1.0], [1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="norm_params.std must be > 0"):
        RegressionTask("r", "jets", "pt", norm_params=NormParams([0.0], [0.0]))
    with pytest.raises(ValueError, match="1 custom_output_names"):
        RegressionTask("r", "jets", ["pt", "m"], custom_output_names="x")
    with pytest.raises(ValueError, match="scaler has no entry for targets"):
        RegressionTask("r", "jets", "pt", scaler=RegressionTargetScaler({"m": TargetScale()}))


def test_output_count_errors() -> None:
    task = RegressionTask("r", "jets", ["pt", "m"], dense_config=DenseConfig(output_size=3))
    with pytest.raises(ValueError, match=r"Task 'r'.*output_size=3.*2 outputs, one per target \['pt', 'm'\]"):
        task.build(4)
    task = GaussianRegressionTask("g", "jets", ["pt"], dense_config=DenseConfig(output_size=1))
    with pytest.raises(ValueError, match=r"Task 'g'.*2 outputs, a mean and a variance per target \['pt'\]"):
        task.build(4)


def test_loss_errors() -> None:
    with pytest.raises(ValueError, match="reduction='none'"):
        RegressionTask("r", "jets", "pt", loss=nn.MSELoss())
    with pytest.raises(ValueError, match="GaussianRegressionTask needs.*GaussianNLLLoss, got MSELoss"):
        GaussianRegressionTask("g", "jets", "pt", loss=nn.MSELoss(reduction="none"))


def test_nan_targets_are_masked() -> None:
    task = RegressionTask("r", "jets", ["a", "b"])
    task.build(4)
    out = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    lab = labels(a=[0.0, float("nan"), 5.0], b=[2.0, 1.0, float("nan")])
    loss = task.loss(out, lab, None)
    torch.testing.assert_close(loss, torch.tensor((1.0 + 0.0 + 9.0 + 0.0) / 4))
    loss.backward()
    assert out.grad is not None and torch.isfinite(out.grad).all()
    assert out.grad[1, 0] == 0 and out.grad[2, 1] == 0


def test_padding_masked_for_constituent_regression() -> None:
    task = RegressionTask("r", "tracks", "d")
    task.build(4)
    out = torch.tensor([[[1.0], [9.0]], [[2.0], [9.0]]])
    lab = {"tracks": {"d": torch.tensor([[0.0, 0.0], [0.0, 0.0]])}}
    pad = torch.tensor([[False, True], [False, True]])
    torch.testing.assert_close(task.loss(out, lab, pad), torch.tensor(2.5))


def test_scaling_to_non_finite_raises() -> None:
    task = RegressionTask("r", "jets", "pt", scaler=RegressionTargetScaler({"pt": TargetScale(op="log")}))
    with pytest.raises(ValueError, match=r"Task 'r': target 'pt' = -3.0 becomes non-finite after scaling"):
        task.loss(torch.zeros(2, 1), labels(pt=[1.0, -3.0]), None)


@pytest.mark.parametrize("method", ["scaler", "target_denominators", "norm_params", "none"])
def test_predictions_are_in_physical_units(method: str) -> None:
    kwargs: dict = {
        "scaler": {"scaler": RegressionTargetScaler({"pt": TargetScale(op="log", x_scale=1e-3)})},
        "target_denominators": {"target_denominators": "reco"},
        "norm_params": {"norm_params": NormParams([50e3], [10e3])},
        "none": {},
    }[method]
    task = RegressionTask("r", "jets", "pt", custom_output_names="ptCorr", **kwargs)
    task.build(4)
    lab = labels(pt=[40e3, 80e3, 120e3], reco=[36e3, 90e3, 100e3])
    target, valid = task.scaled_targets(lab, None)
    assert valid.all()
    # a perfect network output (the scaled target) is written back as the physical target
    preds = task.predictions(target, "m", labels=lab)
    assert list(preds) == ["m_ptCorr"]
    torch.testing.assert_close(preds["m_ptCorr"], lab["jets"]["pt"])
    assert {s.name for s in task.required_labels()} == (
        {"pt", "reco"} if method == "target_denominators" else {"pt"}
    )


def test_denominators_needed_at_prediction() -> None:
    task = RegressionTask("r", "jets", "pt", target_denominators="reco")
    task.build(4)
    with pytest.raises(
        ValueError, match=r"target_denominators \['reco'\] of stream 'jets' are not in the batch"
    ):
        task.predictions(torch.ones(2, 1), "m")


def test_gaussian_nll_against_hand_computation() -> None:
    task = GaussianRegressionTask("g", "jets", "pt")
    task.build(4)
    out = torch.tensor([[1.0, 0.5], [-2.0, -1.0], [0.3, 2.0]])
    lab = labels(pt=[1.5, -1.0, float("nan")])
    expected = 0.0
    for mu, raw, y in [(1.0, 0.5, 1.5), (-2.0, -1.0, -1.0)]:
        var = math.log1p(math.exp(raw))  # softplus
        expected += 0.5 * (math.log(var) + (y - mu) ** 2 / var)
    torch.testing.assert_close(task.loss(out, lab, None), torch.tensor(expected / 2))


def test_gaussian_predictions_descaled() -> None:
    task = GaussianRegressionTask("g", "jets", "pt", target_denominators="reco")
    task.build(4)
    out = torch.tensor([[1.1, 0.0], [0.9, 1.0]])
    lab = labels(pt=[0.0, 0.0], reco=[100e3, 50e3])
    preds = task.predictions(out, "m", labels=lab)
    assert list(preds) == ["g_pt", "g_pt_stddev"]  # salt names Gaussian columns after the task
    torch.testing.assert_close(preds["g_pt"], torch.tensor([110e3, 45e3]))
    sd = torch.nn.functional.softplus(torch.tensor([0.0, 1.0])).sqrt() * torch.tensor([100e3, 50e3])
    torch.testing.assert_close(preds["g_pt_stddev"], sd)
    # a log scaler propagates the width through the inverse's slope: sigma_pt = pt * sigma_log
    task = GaussianRegressionTask(
        "g", "jets", "pt", scaler=RegressionTargetScaler({"pt": TargetScale(op="log")})
    )
    task.build(4)
    preds = task.predictions(torch.tensor([[math.log(200.0), -4.0]]), "m")
    sigma = math.sqrt(math.log1p(math.exp(-4.0)))
    torch.testing.assert_close(preds["g_pt"], torch.tensor([200.0]))
    torch.testing.assert_close(preds["g_pt_stddev"], torch.tensor([200.0 * sigma]))


def test_sample_weights_normalised_as_salt() -> None:
    # salt's nan_loss: NaN targets become 0-loss entries, loss * weight, then the mean over all entries
    task = RegressionTask("r", "jets", "pt", sample_weight="w")
    task.build(4)
    out = torch.zeros(3, 1)
    lab = labels(pt=[1.0, float("nan"), 3.0], w=[2.0, 5.0, 1.0])
    # (2 * 1^2 + 0 + 1 * 3^2) / 3 entries
    torch.testing.assert_close(task.loss(out, lab, None), torch.tensor(11.0 / 3.0))
    assert [s.name for s in task.required_labels()] == ["pt", "w"]
    # two targets: the jet weight applies to both, the mean runs over jets x targets
    task = RegressionTask("r", "jets", ["a", "b"], sample_weight="w")
    task.build(4)
    lab = labels(a=[1.0, 2.0], b=[float("nan"), 1.0], w=[3.0, 1.0])
    torch.testing.assert_close(task.loss(torch.zeros(2, 2), lab, None), torch.tensor((3.0 + 4.0 + 1.0) / 4.0))


def test_mean_over_entries_is_salts_nan_loss() -> None:
    # salt's nan_loss without weights: NaN targets are 0-loss entries of the mean over all entries
    lab = labels(pt=[1.0, float("nan"), 3.0])
    out = torch.zeros(3, 1)
    halite = RegressionTask("r", "jets", "pt")
    salt = RegressionTask("r", "jets", "pt", mean_over="entries")
    for task in (halite, salt):
        task.build(4)
    torch.testing.assert_close(halite.loss(out, lab, None), torch.tensor(10.0 / 2.0))  # valid entries
    torch.testing.assert_close(salt.loss(out, lab, None), torch.tensor(10.0 / 3.0))  # all entries
    with pytest.raises(ValueError, match="mean_over 'all' is unknown"):
        RegressionTask("r", "jets", "pt", mean_over="all")  # type: ignore[arg-type]


def test_scalar_norm_params_for_one_target() -> None:
    # salt's regression configs: norm_params: {mean: 1.0, std: 1.0}
    for given in (NormParams(2.0, 4.0), {"mean": 2.0, "std": 4.0}):
        task = RegressionTask("r", "jets", "pt", norm_params=given)  # type: ignore[arg-type]
        task.build(4)
        assert task.norm_params is not None and task.norm_params.means == [2.0]
        assert task.norm_params.stds == [4.0]
        preds = task.predictions(torch.tensor([[0.5]]), "m")
        torch.testing.assert_close(preds["m_pt"], torch.tensor([4.0]))  # 0.5 * 4 + 2
    with pytest.raises(ValueError, match=r"norm_params.mean has 1 values \[2.0\] for 2 targets"):
        RegressionTask("r", "jets", ["a", "b"], norm_params=NormParams(2.0, [1.0, 1.0]))


def test_constituent_predictions_are_nan_in_padding() -> None:
    task = RegressionTask("r", "tracks", "d0")
    task.build(4)
    pad = torch.tensor([[False, True]])
    preds = task.predictions(torch.ones(1, 2, 1), "m", pad_mask=pad)
    assert preds["m_d0"][0, 0] == 1.0 and torch.isnan(preds["m_d0"][0, 1])
