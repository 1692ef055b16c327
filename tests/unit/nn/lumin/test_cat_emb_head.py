"""CatEmbHead against lumin 0.9.1 (the numbers below were taken from lumin 0.9.1 on its documented examples).

Example data as in test_helpers: ``cont_feats = ['c0', 'c1', 'c2']``, ``train_fy`` the two-fold fake fold
yielder (k0, k1 with cardinalities 4 and 7, embedding widths 2 and 4). Weights by ``set_weights``; input
``fixed_input(5, 3)`` (first example) or ``cat_input()`` (the others); eval mode.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pytest
import torch

from halite.nn.lumin import CatEmbedder, CatEmbHead, lookup_uniform_init
from tests.unit.nn.lumin.test_helpers import CONT_FEATS, B, FakeFoldYielder, cat_input
from tests.unit.nn.lumin.weights import fixed_input, set_weights

matplotlib.use("Agg")

# lumin 0.9.1, these examples, eval mode (row 0 of the output and the sum of the (5, 9) output)
ROW0 = [0.0, 0.2955202, 0.5646425, 0.0, 0.3221088, 0.4207355, 0.4958324, 0.3377316, 0.0207903]
TOTAL = 1.9912134408950806
KEYS = [("embeds.0.weight", (4, 2)), ("embeds.1.weight", (7, 4))]


def embedder() -> CatEmbedder:
    return CatEmbedder.from_fy(FakeFoldYielder())


def run(head: CatEmbHead, x: torch.Tensor) -> torch.Tensor:
    set_weights(head)
    head.eval()
    with torch.no_grad():
        return head(x)


def keys(head: CatEmbHead) -> list[tuple[str, tuple[int, ...]]]:
    return [(k, tuple(v.shape)) for k, v in head.state_dict().items()]


def test_example_continuous_only() -> None:
    head = CatEmbHead(cont_feats=CONT_FEATS)
    y = run(head, fixed_input(B, 3))
    assert (head.get_out_size(), head.get_param_count(), keys(head)) == (3, 0, [])
    assert y.tolist()[0] == pytest.approx([0.0, 0.2955202, 0.5646425], abs=1e-6)
    assert float(y.sum()) == pytest.approx(4.494434833526611, abs=1e-5)  # lumin 0.9.1
    assert head.feat_map == {"c0": [0], "c1": [1], "c2": [2]}


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"do_cont": 0.1, "do_cat": 0.05}, {"lookup_init": lookup_uniform_init}],
    ids=["plain", "do", "init"],
)
def test_examples_with_embedder(kwargs: dict) -> None:
    head = CatEmbHead(cont_feats=CONT_FEATS, cat_embedder=embedder(), **kwargs)
    y = run(head, cat_input())
    assert (head.get_out_size(), head.get_param_count(), keys(head)) == (9, 36, KEYS)
    assert type(head.get_out_size()) is int
    assert y.shape == (B, 9)
    assert y[0].tolist() == pytest.approx(ROW0, abs=1e-6)
    assert float(y.sum()) == pytest.approx(TOTAL, abs=1e-5)
    assert head.feat_map == {"c0": [0], "c1": [1], "c2": [2], "k0": [3, 4], "k1": [5, 6, 7, 8]}
    if "do_cat" not in kwargs:  # no dropout: train mode gives the same (lumin 0.9.1 too)
        head.train()
        assert float(head(cat_input()).sum()) == pytest.approx(TOTAL, abs=1e-5)


def dropout_runs(lumin_cat_dropout: bool) -> tuple[torch.Tensor, torch.Tensor]:
    head = CatEmbHead(
        cont_feats=CONT_FEATS, cat_embedder=embedder(), do_cat=0.5, lumin_cat_dropout=lumin_cat_dropout
    )
    x = cat_input() + torch.tensor([1.5, 1.5, 1.5, 0.0, 0.0])  # continuous inputs away from 0
    ref = run(head, x)
    head.train()
    torch.manual_seed(1)
    with torch.no_grad():
        return ref, head(x)


def test_do_cat_drops_the_embeddings() -> None:
    ref, y = dropout_runs(lumin_cat_dropout=False)
    assert torch.equal(y[:, :3], ref[:, :3])  # continuous inputs untouched
    emb, emb_ref = y[:, 3:], ref[:, 3:]
    dropped = emb == 0
    assert dropped.any() and (~dropped).any()
    assert torch.allclose(emb[~dropped], 2 * emb_ref[~dropped])


def test_lumin_cat_dropout_drops_the_inputs_as_lumin() -> None:
    ref, y = dropout_runs(lumin_cat_dropout=True)
    assert torch.equal(y[:, 3:], ref[:, 3:])  # lumin 0.9.1 never drops the embeddings
    cont, cont_ref = y[:, :3], ref[:, :3]
    dropped = cont == 0
    assert dropped.any() and (~dropped).any()
    assert torch.allclose(cont[~dropped], 2 * cont_ref[~dropped])


def test_get_save_load_embeds(tmp_path: Path) -> None:
    head = CatEmbHead(cont_feats=CONT_FEATS, cat_embedder=embedder())
    set_weights(head)
    embeds = head.get_embeds()
    assert list(embeds) == ["k0", "k1"]
    assert list(embeds["k1"]) == ["weight"] and embeds["k1"]["weight"].shape == (7, 4)
    head.save_embeds(str(tmp_path / "emb"))
    assert sorted(p.name for p in (tmp_path / "emb").iterdir()) == ["k0.h5", "k1.h5"]
    loaded = CatEmbHead(
        cont_feats=CONT_FEATS,
        cat_embedder=CatEmbedder.from_fy(FakeFoldYielder(), emb_load_path=tmp_path / "emb"),
    )
    for name in ("k0", "k1"):  # each file into its own embedding (lumin 0.9.1 loads one file, into the first)
        assert torch.equal(loaded.get_embeds()[name]["weight"], embeds[name]["weight"])


def test_load_embeds_only_known_files(tmp_path: Path) -> None:
    head = CatEmbHead(cont_feats=CONT_FEATS, cat_embedder=embedder())
    set_weights(head)
    head.save_embeds(tmp_path)
    (tmp_path / "k0.h5").rename(tmp_path / "other.h5")
    fresh = CatEmbHead(cont_feats=CONT_FEATS, cat_embedder=embedder())
    before = fresh.get_embeds()["k0"]["weight"].clone()
    fresh._load_embeds(tmp_path)
    assert torch.equal(fresh.get_embeds()["k0"]["weight"], before)
    assert torch.equal(fresh.get_embeds()["k1"]["weight"], head.get_embeds()["k1"]["weight"])


def test_plot_embeds_saves_one_file_per_feature(tmp_path: Path) -> None:
    head = CatEmbHead(cont_feats=CONT_FEATS, cat_embedder=embedder())
    head.plot_embeds(savename="emb", settings=SimpleNamespace(savepath=tmp_path, format="png", h_small=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emb_k0.png", "emb_k1.png"]
    single = CatEmbHead(cont_feats=[], cat_embedder=CatEmbedder(["k0"], [4]))
    single.plot_embeds(savename="one", settings=SimpleNamespace(savepath=tmp_path, format=".png"))
    assert (tmp_path / "one.png").read_bytes()[:4] == b"\x89PNG"


def test_freeze() -> None:
    head = CatEmbHead(cont_feats=CONT_FEATS, cat_embedder=embedder(), freeze=True)
    assert head.get_param_count() == 0 and head.get_param_count(trainable=False) == 36
    head.unfreeze_layers()
    assert head.get_param_count() == 36


def test_categorical_only() -> None:
    head = CatEmbHead(cont_feats=[], cat_embedder=embedder())
    y = run(head, cat_input()[:, 3:])
    assert head.get_out_size() == 6 and y.shape == (B, 6)
    assert y[0].tolist() == pytest.approx(ROW0[3:], abs=1e-6)
