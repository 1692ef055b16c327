"""ClassRegMulti tail, its task, endcaps and the BlockModel assembly."""

from __future__ import annotations

import pytest
import torch

from halite.models.block_model import BlockModel
from halite.nn.lumin_legacy.body import FullyConnected
from halite.nn.lumin_legacy.endcap import BTagDiscriminantEndcap
from halite.nn.lumin_legacy.heads import CatEmbedder, CatEmbHead
from halite.nn.lumin_legacy.tail import ClassRegMulti
from halite.tasks.class_reg_multi import ClassRegMultiTask
from halite.tasks.classification import ClassificationTask

VARIABLES = {"jets": ["pt", "eta", "n_tracks"]}
NORM = {"jets": {v: {"mean": 0.0, "std": 1.0} for v in VARIABLES["jets"]}}


def test_class_reg_multi_ranges() -> None:
    x = torch.randn(64, 5)
    probs = ClassRegMulti(3, 5, "classification")(x)
    assert ((probs > 0) & (probs < 1)).all()
    logp = ClassRegMulti(3, 5, "multiclass")(x)
    torch.testing.assert_close(logp.exp().sum(-1), torch.ones(64))
    bounded = ClassRegMulti(1, 5, "regression", y_range=(-2.0, 3.0))(x)
    assert bounded.min() > -2.0 and bounded.max() < 3.0
    lin = ClassRegMulti(2, 5, "regression", y_mean=[10.0, -1.0], y_std=2.0)
    z = lin.pre_activation(x)
    torch.testing.assert_close(lin(x), z * 2.0 + torch.tensor([10.0, -1.0]))
    assert torch.all(ClassRegMulti(2, 5, "regression", bias_init=4.0).dense.bias == 4.0)  # type: ignore[union-attr]


def test_class_reg_multi_errors() -> None:
    with pytest.raises(ValueError, match="y_range cannot be combined"):
        ClassRegMulti(1, 3, "regression", y_range=(0, 1), y_mean=0.5)
    with pytest.raises(ValueError, match="min < max"):
        ClassRegMulti(1, 3, "regression", y_range=(1, 0))
    with pytest.raises(ValueError, match="only apply to regression"):
        ClassRegMulti(1, 3, "classification", y_range=(0, 1))
    with pytest.raises(ValueError, match="n_out >= 2"):
        ClassRegMulti(1, 3, "multiclass")


def labels(b: int = 8) -> dict:
    return {
        "jets": {
            "flavour_label": torch.tensor([0, 1, 2, 0, 1, 2, -1, 0])[:b],
            "pt_truth": torch.linspace(1.0, 2.0, b),
            "is_b": torch.tensor([1, 0, 0, 1, 0, 0, 1, 0])[:b],
        }
    }


def test_class_reg_multi_task_objectives() -> None:
    x = torch.randn(8, 6)
    multi = ClassRegMultiTask("flav", "jets", "flavour_label", "multiclass")
    multi.build(6)
    out = multi(x)
    keep = [0, 1, 2, 3, 4, 5, 7]
    expected = torch.nn.functional.nll_loss(out[keep], labels()["jets"]["flavour_label"][keep])
    torch.testing.assert_close(multi.loss(out, labels(), None), expected)  # -1 ignored
    preds = multi.predictions(out, "m")
    assert sorted(preds) == ["m_pb", "m_pc", "m_pu"]
    assert [s.name for s in multi.required_labels()] == ["flavour_label"]

    reg = ClassRegMultiTask("ptr", "jets", "pt_truth", "regression", y_range=(0.0, 5.0))
    reg.build(6, context_size=0)
    out = reg(x)
    assert out.shape == (8, 1) and ((out > 0) & (out < 5)).all()
    torch.testing.assert_close(
        reg.loss(out, labels(), None), ((out[:, 0] - labels()["jets"]["pt_truth"]) ** 2).mean()
    )
    assert list(reg.predictions(out, "m")) == ["m_pt_truth"]

    binary = ClassRegMultiTask("isb", "jets", "is_b", "classification", dense_config=None)
    binary.build(6)
    loss = binary.loss(binary(x), labels(), None)
    assert loss.item() > 0 and loss.requires_grad
    with pytest.raises(ValueError, match="multiclass needs class_names"):
        ClassRegMultiTask("t", "jets", "weird_label", "multiclass")


def build_model(**task_kw: object) -> BlockModel:
    head = CatEmbHead(cat_embedder=CatEmbedder({"n_tracks": 41}))
    tasks = [ClassRegMultiTask("jets_classification", "jets", "flavour_label", "multiclass", **task_kw)]  # type: ignore[arg-type]
    return BlockModel(head, FullyConnected(2, 16, res=True), tasks, VARIABLES, NORM)


def test_block_model_forward_losses_and_endcap() -> None:
    model = build_model()
    inputs = {"jets": torch.tensor([[1.0, 0.5, 3], [2, -1, 12]] * 4)}
    outputs, losses = model(inputs, {}, labels())
    assert outputs["jets_classification"].shape == (8, 3)
    total = model.total_loss(losses)
    total.backward()
    assert model.head.cat_embedder.embeds["n_tracks"].weight.grad is not None  # type: ignore[union-attr]
    assert model.required_labels()["jets"][0].name == "flavour_label"
    disc = BTagDiscriminantEndcap(model).predict(inputs, {})
    p = outputs["jets_classification"].exp().detach()
    torch.testing.assert_close(
        disc, torch.log(p[:, 0] / (0.2 * p[:, 1] + 0.8 * p[:, 2])), rtol=1e-4, atol=1e-5
    )
    assert model.training


def test_block_model_frozen_body_gets_no_gradient() -> None:
    head = CatEmbHead()
    body = FullyConnected(2, 8, freeze=True)
    task = ClassificationTask("jets_classification", "jets", "flavour_label")
    model = BlockModel(head, body, [task], VARIABLES, NORM)
    _, losses = model({"jets": torch.randn(8, 3)}, {}, labels())
    model.total_loss(losses).backward()
    assert all(p.grad is None for p in body.parameters())
    assert task.net is not None and task.net.net[0].weight.grad is not None


def test_block_model_errors() -> None:
    task = ClassificationTask("trk", "tracks", "ftagTruthOriginLabel")
    with pytest.raises(ValueError, match="only predicts per jet"):
        BlockModel(
            CatEmbHead(),
            FullyConnected(1, 4),
            [task],
            {**VARIABLES, "tracks": ["d0"]},
            {**NORM, "tracks": {"d0": {"mean": 0, "std": 1}}},
        )
    with pytest.raises(ValueError, match="data.class_dict is not set"):
        build_model(use_class_dict=True)
    with pytest.raises(ValueError, match="norm dict"):
        BlockModel(CatEmbHead(), FullyConnected(1, 4), [], VARIABLES, None)
