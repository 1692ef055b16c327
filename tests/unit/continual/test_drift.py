"""Drifting detector conditions on synthetic jets: what each knob changes, the features, the tasks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite.continual.drift import (
    GEV,
    DriftCondition,
    DriftingJets,
    DriftTask,
    default_drift,
    feature_names,
    jet_features,
)
from halite.data.synthetic import generate_jets


def _jets(n: int = 300, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    data = generate_jets(n, seed, num_tracks=12)
    return data["jets"], data["tracks"]


def test_jet_energy_scale_and_smearing() -> None:
    jets, tracks = _jets()
    ref = jets.copy()
    DriftCondition(jes=0.9, jes_slope=0.1).apply(jets, tracks, np.random.default_rng(0))
    factor = 0.9 * (ref["pt"] / (50.0 * GEV)) ** 0.1
    np.testing.assert_allclose(jets["pt"], ref["pt"] * factor, rtol=1e-5)
    np.testing.assert_allclose(jets["mass"], ref["mass"] * factor, rtol=1e-5)
    np.testing.assert_array_equal(jets["pt_truth"], ref["pt_truth"])  # the truth never drifts
    jets, tracks = _jets()
    DriftCondition(jer=0.2).apply(jets, tracks, np.random.default_rng(0))
    ratio = jets["pt"] / ref["pt"]
    assert 0.15 < float(np.std(ratio)) < 0.25 and abs(float(np.mean(ratio)) - 1) < 0.05


def test_impact_parameter_smearing_and_scale() -> None:
    jets, tracks = _jets()
    ref = tracks.copy()
    DriftCondition(ip_smear=0.05).apply(jets, tracks, np.random.default_rng(0))
    v = ref["valid"] & (np.abs(ref["IP3D_signed_d0_significance"]) > 1e-3)
    d0, sd0 = ref["d0"][v].astype(np.float64), ref["IP3D_signed_d0_significance"][v].astype(np.float64)
    noise = tracks["d0"][v] - d0
    assert 0.04 < float(np.std(noise)) < 0.06
    sigma = np.abs(d0) / np.abs(sd0)
    sign = np.where(d0 * sd0 < 0, -1.0, 1.0)
    # the significance moves by the same noise over the nominal uncertainty
    np.testing.assert_allclose(
        tracks["IP3D_signed_d0_significance"][v], sd0 + sign * noise / sigma, rtol=1e-3, atol=1e-2
    )
    assert np.all(tracks["d0"][~ref["valid"]] == 0)
    jets, tracks = _jets()
    DriftCondition(ip_scale=2.0, track_pt_scale=0.5).apply(jets, tracks, np.random.default_rng(0))
    np.testing.assert_allclose(tracks["z0SinTheta"], 2.0 * ref["z0SinTheta"], rtol=1e-6)
    np.testing.assert_allclose(tracks["pt"], 0.5 * ref["pt"], rtol=1e-6)
    with pytest.raises(ValueError, match="ip_scale=0"):
        DriftCondition(ip_scale=0)


def test_features_take_the_most_displaced_tracks() -> None:
    jets, tracks = _jets(50)
    x = jet_features(jets, tracks, 3)
    names = feature_names(3)
    assert x.shape == (50, len(names)) == (50, 6 + 8 * 3) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, names.index("log_pt")], np.log(jets["pt"] / GEV), rtol=1e-5)
    np.testing.assert_array_equal(x[:, names.index("n_tracks")], tracks["valid"].sum(1))
    j = int(np.argmax(tracks["valid"].sum(1)))
    sd0 = tracks["IP3D_signed_d0_significance"][j][tracks["valid"][j]]
    top = sd0[np.argsort(-np.abs(sd0), kind="stable")[:3]]
    np.testing.assert_allclose(
        x[j, [names.index(f"track{k}_d0_significance") for k in range(3)]], top, rtol=1e-6
    )
    empty = int(np.argmin(tracks["valid"].sum(1)))
    if tracks["valid"][empty].sum() == 0:
        assert np.all(x[empty, 6:] == 0)


def test_drifting_jets_tasks() -> None:
    bench = DriftingJets("pt", num_train=200, num_test=100, num_tracks=2, seed=4)
    tasks = bench.tasks()
    assert [t.name for t in tasks] == [t.name for t in default_drift()]
    assert bench.input_info().variables["jet"] == feature_names(2)
    x0 = tasks[0].train.inputs["jet"]
    torch.testing.assert_close(
        x0.mean(0), torch.zeros(x0.shape[1]), atol=1e-4, rtol=0
    )  # first task's calibration
    assert tasks[0].class_names == ["pt_truth"] and tasks[0].train.y.dtype == torch.float32
    assert float(tasks[0].train.y.min()) > np.log(19.0)  # log(pt_truth / GeV), pt_truth > 20 GeV
    assert set(tasks[2].test.task_ids.tolist()) == {3}  # task ids from 1
    # later tasks drift away from the first task's calibration
    assert float(tasks[1].train.inputs["jet"][:, 0].mean()) < -0.05  # the low jet-energy scale
    flav = DriftingJets(
        "flavour", [DriftTask("a"), DriftTask("b", DriftCondition(ip_scale=1.5))], 100, 50
    ).tasks()
    assert flav[0].class_names == ["bjets", "cjets", "ujets"] and set(flav[1].train.y.tolist()) <= {0, 1, 2}
    assert flav[1].train.y.dtype == torch.int64
    with pytest.raises(ValueError, match="'flavour' or 'pt', got 'eta'"):
        DriftingJets("eta")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one task"):
        DriftingJets(tasks=[])
