"""CatEmbedder against lumin 0.9.1's (its documented examples; the numbers were taken from lumin 0.9.1).

The fixed data of the examples that need some (``train_fy``, ``cont_feats``, ...) live here and are shared
with the head tests: 3 continuous features, 2 categorical features ``k0`` / ``k1`` with cardinalities 4 and 7
(from a two-fold fake fold yielder), objects ``j0, j1, j2`` with ``px, py, pz, E`` and ``j2_E`` missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import Tensor

from halite.nn.lumin import CatEmbedder
from tests.unit.nn.lumin.weights import fixed_input

B = 5
CONT_FEATS = ["c0", "c1", "c2"]
CAT_NAMES = ["k0", "k1"]
VECS = ["j0", "j1", "j2"]
FEATS_PER_VEC = ["px", "py", "pz", "E"]
MATRIX_FEATS = [f"{v}_{c}" for v in VECS for c in FEATS_PER_VEC if f"{v}_{c}" != "j2_E"]  # 11 features


class FakeFoldYielder:
    """What lumin's ``CatEmbedder.from_fy`` reads of a FoldYielder: two folds, max codes (3, 5) then (2, 6)."""

    folds = (
        pd.DataFrame({"c0": [0.1, 0.2], "k0": [3, 1], "k1": [0, 5]}),
        pd.DataFrame({"c0": [0.3], "k0": [2], "k1": [6]}),
    )

    def get_use_cat_feats(self) -> list[str]:
        return list(CAT_NAMES)

    def __len__(self) -> int:
        return len(self.folds)

    def get_df(
        self, n_folds: int, fold_idx: int, inc_inputs: bool, verbose: bool, suppress_warn: bool
    ) -> pd.DataFrame:
        assert (n_folds, inc_inputs, verbose, suppress_warn) == (1, True, False, True)
        return self.folds[fold_idx]


def codes() -> tuple[Tensor, Tensor]:
    """The categorical codes of the examples' inputs: ``i % 4`` and ``3 i % 7`` for row ``i``."""
    i = torch.arange(B)
    return (i % 4).float(), ((3 * i) % 7).float()


def cat_input() -> Tensor:
    """``(B, 5)``: ``fixed_input(B, 5)`` with columns 3, 4 replaced by the codes of k0, k1."""
    x = fixed_input(B, 5)
    x[:, 3], x[:, 4] = codes()
    return x


def test_constructor_examples() -> None:
    ce = CatEmbedder(cat_names=["n_jets", "channel"], cat_szs=[5, 3])
    assert (ce.emb_szs, ce.n_cat_in, ce.max_emb_sz, ce.emb_load_path) == ([3, 2], 2, 50, None)
    assert repr(ce) == "n_jets:\t5 --> 3\nchannel:\t3 --> 2\n"  # lumin 0.9.1's repr
    assert list(ce) == [("n_jets", 5, 3), ("channel", 3, 2)]
    assert ce[0] == (5, 3) and ce["channel"] == (3, 2)
    ce = CatEmbedder(cat_names=["n_jets", "channel"], cat_szs=[5, 3], emb_szs=[2, 2])
    assert ce.emb_szs == [2, 2] and list(ce) == [("n_jets", 5, 2), ("channel", 3, 2)]
    ce = CatEmbedder(
        cat_names=["n_jets", "channel"], cat_szs=[5, 3], emb_szs=[2, 2], emb_load_path=Path("weights")
    )
    assert ce.emb_load_path == Path("weights")
    assert repr(ce) == "n_jets:\t5 --> 2\nchannel:\t3 --> 2\n\nLoading pretrained embeddings from: weights"
    assert CatEmbedder(["a"], [3], emb_load_path="weights").emb_load_path == Path("weights")  # str -> Path


def test_calc_emb_szs_rule_and_cap() -> None:
    ce = CatEmbedder(["a", "b", "c"], [1, 8, 1000], max_emb_sz=20)
    assert ce.emb_szs == [1, 4, 20]
    ce.max_emb_sz = 3
    ce.calc_emb_szs()
    assert ce.emb_szs == [1, 3, 3]


def test_from_fy_examples() -> None:
    fy = FakeFoldYielder()
    ce = CatEmbedder.from_fy(fy)
    assert (ce.cat_names, ce.cat_szs, ce.emb_szs, ce.emb_load_path) == (["k0", "k1"], [4, 7], [2, 4], None)
    assert all(type(s) is int for s in ce.cat_szs)
    ce = CatEmbedder.from_fy(fy, emb_szs=[2, 2])
    assert (ce.cat_szs, ce.emb_szs) == ([4, 7], [2, 2])
    ce = CatEmbedder.from_fy(fy, emb_szs=[2, 2], emb_load_path=Path("weights"))
    assert (ce.cat_szs, ce.emb_szs, ce.emb_load_path) == ([4, 7], [2, 2], Path("weights"))


def test_from_fy_without_folds_raises() -> None:
    fy = FakeFoldYielder()
    fy.folds = ()  # type: ignore[assignment]
    with pytest.raises(ValueError, match="no folds"):
        CatEmbedder.from_fy(fy)


def test_from_data() -> None:
    ce = CatEmbedder.from_data({"k0": np.array([3, 1, 2]), "k1": np.array([0.0, 5.0, 6.0])}, max_emb_sz=3)
    assert (ce.cat_names, ce.cat_szs, ce.emb_szs) == (["k0", "k1"], [4, 7], [2, 3])
    with pytest.raises(ValueError, match="non-negative integer codes"):
        CatEmbedder.from_data({"k0": np.array([0, -1])})
    with pytest.raises(ValueError, match="non-negative integer codes"):
        CatEmbedder.from_data({"k0": np.array([0.5, 1.0])})


def test_length_mismatches_raise() -> None:
    with pytest.raises(ValueError, match="one cardinality per categorical feature"):
        CatEmbedder(["a", "b"], [3])
    with pytest.raises(ValueError, match="one size per feature"):
        CatEmbedder(["a", "b"], [3, 4], emb_szs=[2])
    with pytest.raises(ValueError, match="no categorical feature 'z'"):
        CatEmbedder(["a"], [3])["z"]
