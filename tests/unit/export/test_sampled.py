"""Jets sampled from the norm dict: Gaussian variables, valid constituents first, consistent masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from halite.export.onnx import OnnxWrapper, export_onnx, parity_check
from halite.export.sampled import mean_constituents, sampled_batch
from halite.models.model import Model
from halite.nn import TransformerEncoder
from halite.nn.layers.dense import DenseConfig
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.tasks import ClassificationTask
from halite.training.module import LitModel

NORM = {
    "jets": {"pt": {"mean": 5e4, "std": 2e4}, "eta": {"mean": 0.0, "std": 1.2}},
    "tracks": {"d0": {"mean": 0.1, "std": 0.5}, "z0": {"mean": -2.0, "std": 3.0}},
    "muons": {"m": {"mean": 10.0, "std": 1.0}},
}


def wrapper() -> OnnxWrapper:
    torch.manual_seed(0)
    model = Model(
        [InitNetConfig(s, DenseConfig([8])) for s in ("tracks", "muons")],
        TransformerEncoder(8, 1, num_heads=2),
        GlobalAttentionPooling(),
        [ClassificationTask("j", "jets", "flavour_label", class_names=["b", "c", "u"])],
        variables={s: list(v) for s, v in NORM.items()},
        norm_dict=NORM,
    )
    return OnnxWrapper(LitModel(model, name="m"))


def test_sampled_jets_follow_the_norm_dict_with_consistent_masks() -> None:
    w = wrapper()
    batch = sampled_batch(w, 2000, {"tracks": 40, "muons": 4}, seed=1)
    assert set(batch.inputs) == {"jets", "tracks", "muons"} and set(batch.pad_masks) == {"tracks", "muons"}
    jets = batch.inputs["jets"].numpy()
    assert jets.shape == (2000, 2) and jets.dtype == np.float32
    np.testing.assert_allclose(jets.mean(0), [5e4, 0.0], atol=2e3)
    np.testing.assert_allclose(jets.std(0), [2e4, 1.2], rtol=0.05)
    for stream, slots in (("tracks", 40), ("muons", 4)):
        x, pad = batch.inputs[stream].numpy(), batch.pad_masks[stream].numpy()
        assert x.shape[:2] == pad.shape == (2000, slots) and pad.dtype == np.bool_
        counts = (~pad).sum(1)
        # valid constituents first: the mask is exactly "slot >= count"
        np.testing.assert_array_equal(pad, np.arange(slots)[None] >= counts[:, None])
        assert (x[pad] == 0).all()
        assert counts.min() >= 0 and counts.max() <= slots
        assert counts.mean() == pytest.approx(min(mean_constituents(slots), slots), rel=0.15)
    d0 = batch.inputs["tracks"].numpy()[..., 0][~batch.pad_masks["tracks"].numpy()]
    assert d0.mean() == pytest.approx(0.1, abs=0.02) and d0.std() == pytest.approx(0.5, rel=0.05)
    # some jets without constituents, and reproducible
    assert ((~batch.pad_masks["muons"]).sum(1) == 0).any()
    again = sampled_batch(w, 2000, {"tracks": 40, "muons": 4}, seed=1)
    torch.testing.assert_close(again.inputs["tracks"], batch.inputs["tracks"])


def test_mean_constituents() -> None:
    assert mean_constituents(40) == pytest.approx(40 / 3)
    assert mean_constituents(1) == 1.0 and mean_constituents(0) == 1.0


def test_sampled_jets_run_through_the_parity_check(tmp_path: Path) -> None:
    w = wrapper()
    in_names, out_names = export_onnx(w, tmp_path / "m.onnx")
    batch = sampled_batch(w, 64, {"tracks": 6, "muons": 2})
    result = parity_check(tmp_path / "m.onnx", w, in_names, out_names, [batch], max_slots=2, num_random=1)
    assert result.num_real_jets == 64
    assert result.worst < 1e-5 and result.worst_output in out_names
