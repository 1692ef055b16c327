"""Trimming, bucketing and packing change the work done, never the result."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from halite.data import batching
from halite.data.datamodule import JetDataModule
from halite.data.prep import DEFAULT_VARIABLES
from halite.models.model import Model
from halite.nn.layers.dense import Dense, DenseConfig
from halite.nn.layers.packing import Packing, packing_enabled, tokenwise
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.nn.sets.transformer import TransformerEncoder
from halite.tasks.classification import ClassificationTask
from halite.training.module import LitModel, runs_packed
from halite.typing import Batch


def test_pack_unpack_round_trip_and_tokenwise() -> None:
    mask = torch.tensor([[False, False, True, True], [True, True, True, True], [False, True, False, True]])
    x = torch.randn(3, 4, 5)
    packing = Packing.from_mask(mask)
    assert packing.num_valid == 4
    assert packing.batch.tolist() == [0, 0, 2, 2]
    assert packing.segments == ((0, 2, 2),)
    torch.testing.assert_close(packing.pack(x), x[~mask])
    back = packing.unpack(packing.pack(x))
    torch.testing.assert_close(back[~mask], x[~mask])
    assert torch.count_nonzero(back[mask]) == 0
    net = Dense(5, 3, [8], context_size=2)
    ctx = torch.randn(3, 2)
    dense = tokenwise(net, x, None, ctx)
    packed = tokenwise(net, x, packing, ctx)
    torch.testing.assert_close(packed[~mask], dense[~mask], atol=1e-6, rtol=1e-6)
    assert torch.count_nonzero(packed[mask]) == 0


def test_packed_encoder_equals_padded_encoder() -> None:
    lengths = torch.tensor([7, 3, 0, 5, 3, 1])
    mask = torch.arange(7)[None, :] >= lengths[:, None]
    mask[0, 2] = True  # a hole: packing must not assume padding at the end
    x = torch.randn(6, 7, 16, requires_grad=True)
    enc = TransformerEncoder(embed_dim=16, num_layers=2, num_heads=4, out_dim=8)
    ref = copy.deepcopy(enc)
    ref.packed = False
    packing = Packing.from_mask(mask)
    assert [(n, length) for _, n, length in packing.segments] == [(1, 1), (2, 3), (1, 5), (1, 6)]
    out, out_ref = enc(x, mask), ref(x, mask)
    torch.testing.assert_close(out[~mask], out_ref[~mask], atol=1e-5, rtol=1e-5)
    assert torch.count_nonzero(out[mask]) == 0
    (out[~mask] ** 2).sum().backward()
    grad = x.grad.clone()
    x.grad = None
    (out_ref[~mask] ** 2).sum().backward()
    torch.testing.assert_close(grad, x.grad, atol=1e-5, rtol=1e-4)


def test_batch_without_constituents_is_finite() -> None:
    enc = TransformerEncoder(embed_dim=16, num_layers=1, num_heads=4)
    x = torch.randn(2, 3, 16, requires_grad=True)
    out = enc(x, torch.ones(2, 3, dtype=torch.bool))
    assert out.shape == (2, 3, 16) and torch.count_nonzero(out) == 0
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


def small_model(tiny_data: dict[str, Path]) -> Model:
    dense = DenseConfig(hidden_layers=[16], activation="ReLU")
    tasks = [
        ClassificationTask(
            "jets_classification", "jets", "flavour_label", use_class_dict=True, dense_config=dense
        ),
        ClassificationTask("track_origin", "tracks", "ftagTruthOriginLabel", dense_config=dense, weight=0.5),
    ]
    return Model(
        init_nets=[InitNetConfig("tracks", DenseConfig(hidden_layers=[32]))],
        encoder=TransformerEncoder(embed_dim=32, num_layers=2, num_heads=4, out_dim=16),
        pool_net=GlobalAttentionPooling(),
        tasks=tasks,
        variables=DEFAULT_VARIABLES,
        norm_dict=str(tiny_data["norm_dict"]),
        class_dict=str(tiny_data["class_dict"]),
    )


def loss_and_grads(model: Model, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    model.zero_grad()
    _, losses = model(batch.inputs, batch.pad_masks, batch.labels)
    loss = model.total_loss(losses)
    loss.backward()
    return loss.detach(), {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def test_trimmed_bucketed_packed_loss_equals_untrimmed(
    tiny_data: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = small_model(tiny_data)
    reference = copy.deepcopy(model)
    reference.packed = False
    reference.encoder.packed = False
    assert runs_packed(model) and not runs_packed(reference)
    dm = JetDataModule(
        str(tiny_data["train"]), str(tiny_data["val"]), DEFAULT_VARIABLES, str(tiny_data["norm_dict"]),
        batch_size=50, num_workers=0,
    )  # fmt: skip
    dm.require_labels(model.required_labels())
    ds = dm.dataset("train")
    assert ds.bucket  # length_buckets None, no model told: bucketed (this test needs trimmed batches)
    lit = LitModel(copy.deepcopy(model))
    lit._trainer = SimpleNamespace(datamodule=dm)  # type: ignore[assignment]
    lit.setup(
        "fit"
    )  # what Lightning calls before it asks for the loaders: the packed model turns buckets off
    assert dm.model_packed and not dm.dataset("train").bucket
    dm.use_packed_model(False)
    reader = ds.open_reader(0)
    block = reader.read(0, ds.chunk_size)
    reader.close()
    full_width = block.valid["tracks"].shape[1]
    # a bucketed batch that trimming shortens (bucketing puts short jets together)
    order = ds.batch_order(block, np.random.default_rng(3))
    idx = np.sort(min(order, key=lambda i: block.valid["tracks"][i].sum(1).max()))
    trimmed = ds.make_batch(block, idx)
    monkeypatch.setattr(batching, "trim_counts", lambda counts, width: width)
    untrimmed = ds.make_batch(block, idx)
    width = trimmed.inputs["tracks"].shape[1]
    assert width < full_width == untrimmed.inputs["tracks"].shape[1]
    assert bool(trimmed.pad_masks["tracks"].any())  # packing drops real work

    loss, grads = loss_and_grads(model, trimmed)
    ref_loss, ref_grads = loss_and_grads(reference, untrimmed)
    assert abs(loss.item() - ref_loss.item()) <= 1e-5
    assert grads.keys() == ref_grads.keys()
    for name, grad in grads.items():
        torch.testing.assert_close(grad, ref_grads[name], atol=1e-5, rtol=1e-4, msg=name)
    # and the outputs of valid constituents agree slot by slot
    model.eval()
    reference.eval()
    with torch.inference_mode():
        out, _ = model(trimmed.inputs, trimmed.pad_masks)
        ref, _ = reference(untrimmed.inputs, untrimmed.pad_masks)
    torch.testing.assert_close(out["jets_classification"], ref["jets_classification"], atol=1e-5, rtol=1e-5)
    valid = ~trimmed.pad_masks["tracks"]
    torch.testing.assert_close(
        out["track_origin"][valid], ref["track_origin"][:, :width][valid], atol=1e-5, rtol=1e-5
    )


class _Probe(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + float(packing_enabled(True))


def test_packing_is_skipped_while_tracing_or_exporting() -> None:
    assert packing_enabled(True) and not packing_enabled(False)
    x = torch.zeros(1)
    assert torch.jit.trace(_Probe(), x, check_trace=False)(x).item() == 0.0
    assert torch.export.export(_Probe(), (x,)).module()(x).item() == 0.0
