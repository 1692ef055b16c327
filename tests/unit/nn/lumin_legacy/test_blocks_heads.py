"""Flat and multi heads: categorical embeddings, matrix inputs, feature maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from halite.evaluate.embeddings import plot_embeds
from halite.nn.lumin_legacy.base import InputInfo
from halite.nn.lumin_legacy.heads import CatEmbedder, CatEmbHead, MultiHead, embedding_size
from halite.nn.lumin_legacy.interaction import InteractionNet
from halite.nn.lumin_legacy.matrix import MatrixInput, MatrixInputConfig

VARIABLES = {
    "jets": ["pt", "n_tracks", "eta", "flavour_code", "lep_pt", "lep_eta", "jet1_pt"],
    "tracks": ["pt", "eta", "d0"],
}
NORM = {s: {v: {"mean": 1.0, "std": 2.0} for v in vs} for s, vs in VARIABLES.items()}
INFO = InputInfo(VARIABLES, NORM, "jets")


def embedder() -> CatEmbedder:
    return CatEmbedder({"n_tracks": 41, "flavour_code": 3}, emb_sizes={"flavour_code": 2})


def test_embedding_sizes_rule_and_override() -> None:
    emb = embedder()
    assert emb.emb_sizes == {"n_tracks": 21, "flavour_code": 2}
    assert embedding_size(41, "fastai", 50) == round(1.6 * 41**0.56)
    assert CatEmbedder({"x": 1000}, max_emb_sz=10).emb_sizes == {"x": 10}
    out = emb(torch.tensor([[3.0, 1.0], [100.0, -1.0]]))  # out-of-range codes are clamped
    assert out.shape == (2, 23)
    torch.testing.assert_close(out[1, :21], emb.embeds["n_tracks"].weight[40])
    with pytest.raises(ValueError, match="not in cardinalities"):
        CatEmbedder({"a": 3}, emb_sizes={"b": 2})


def test_from_data_cardinalities() -> None:
    emb = CatEmbedder.from_data({"n_tracks": np.array([0, 5, 12]), "q": np.array([1.0, 0.0])})
    assert emb.cardinalities == {"n_tracks": 13, "q": 2}
    with pytest.raises(ValueError, match="non-negative integer codes"):
        CatEmbedder.from_data({"x": np.array([0.5, 1.0])})


def test_get_and_plot_embeds(tmp_path: Path) -> None:
    head = CatEmbHead(cat_embedder=embedder(), cont_feats=["pt", "eta"])
    head.build(INFO)
    embeds = head.get_embeds()
    assert {k: tuple(v.shape) for k, v in embeds.items()} == {"n_tracks": (41, 21), "flavour_code": (3, 2)}
    paths = plot_embeds(head, tmp_path / "plots")
    assert sorted(p.name for p in paths) == ["embedding_flavour_code.png", "embedding_n_tracks.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "plots").glob("*.tmp*"))


def test_cat_emb_head_columns_and_feat_map() -> None:
    head = CatEmbHead(cat_embedder=embedder(), cont_feats=["pt", "eta"])
    head.build(INFO)
    assert head.get_out_size() == 2 + 21 + 2
    assert head.feat_map == {"pt": [0], "eta": [1], "n_tracks": list(range(2, 23)), "flavour_code": [23, 24]}
    x = torch.tensor([[3.0, 5.0, 7.0, 2.0, 0, 0, 0]])
    out = head({"jets": x}, {})
    torch.testing.assert_close(out[0, :2], torch.tensor([1.0, 3.0]))  # (x - 1) / 2
    torch.testing.assert_close(out[0, 2:23], head.cat_embedder.embeds["n_tracks"].weight[5])
    head.check_out_sz(25)
    with pytest.raises(ValueError, match="outputs 25 features but 3"):
        head.check_out_sz(3)


def test_cat_emb_head_default_cont_and_errors() -> None:
    head = CatEmbHead(cat_embedder=embedder())
    head.build(INFO)
    assert head.cont_feats == ["pt", "eta", "lep_pt", "lep_eta", "jet1_pt"]
    bad = CatEmbHead(cont_feats=["pt", "mass"])
    with pytest.raises(ValueError, match=r"\['mass'\] are not in data.variables.jets"):
        bad.build(INFO)
    with pytest.raises(ValueError, match="not 'tracks'"):
        CatEmbHead(input_name="tracks").build(INFO)


def test_flat_matrix_input_zero_fills_missing() -> None:
    cfg = MatrixInputConfig("jets", features=["pt", "eta"], objects=["lep", "jet1"])
    mi = MatrixInput(cfg, INFO)
    x = torch.tensor([[0, 0, 0, 0, 5.0, 7.0, 9.0]])
    out, mask = mi({"jets": x}, {})
    assert out.shape == (1, 2, 2) and not mask.any()
    torch.testing.assert_close(out[0], torch.tensor([[2.0, 3.0], [4.0, 0.0]]))  # jet1_eta missing -> 0
    with pytest.raises(ValueError, match="None of the columns"):
        MatrixInput(MatrixInputConfig("jets", features=["m"], objects=["x"]), INFO)


def test_stream_matrix_input_sorts_truncates_and_pads() -> None:
    cfg = MatrixInputConfig("tracks", features=["pt", "eta"], n_objects=2, sort_by="pt", normalise=False)
    mi = MatrixInput(cfg, INFO)
    x = torch.tensor([[[1.0, 1, 0], [5, 2, 0], [9, 3, 0]], [[4.0, 4, 0], [0, 0, 0], [0, 0, 0]]])
    mask = torch.tensor([[False, False, True], [False, True, True]])
    out, m = mi({"tracks": x}, {"tracks": mask})
    torch.testing.assert_close(out[0], torch.tensor([[5.0, 2], [1, 1]]))  # 9 is padding
    torch.testing.assert_close(m, torch.tensor([[False, False], [False, True]]))
    cfg.n_objects = 5
    out, m = MatrixInput(cfg, INFO)({"tracks": x}, {"tracks": mask})
    assert out.shape == (2, 5, 2) and m[:, 3:].all()


def test_multi_head_concatenates_and_offsets_feat_map() -> None:
    flat = CatEmbHead(cont_feats=["pt"])
    inet = InteractionNet(1, 8, 4, 1, 8, 3, matrix=MatrixInputConfig("tracks"))
    head = MultiHead(flat, inet)
    head.build(INFO)
    assert head.get_out_size() == 1 + 3
    assert head.feat_map == {"pt": [0], "tracks": [1, 2, 3]}
    inputs = {"jets": torch.randn(2, 7), "tracks": torch.randn(2, 4, 3)}
    out = head(inputs, {"tracks": torch.zeros(2, 4, dtype=torch.bool)})
    assert out.shape == (2, 4)
    torch.testing.assert_close(out[:, :1], flat(inputs, {}))
