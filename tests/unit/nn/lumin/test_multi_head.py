"""MultiHead against lumin 0.9.1 (the numbers below were taken from lumin 0.9.1 on its documented example).

Example data as in test_helpers: ``cont_feats = ['c0', 'c1', 'c2']``, ``matrix_feats`` the 11
``{j0,j1,j2}_{px,py,pz,E}`` without ``j2_E``, ``train_fy`` the fake fold yielder (k0, k1: cardinalities 4, 7).
Input ``(5, 16)``: ``fixed_input(5, 16)`` with columns 14, 15 the codes of k0, k1; weights by ``set_weights``;
eval mode.
"""

from __future__ import annotations

from functools import partial

import pytest
import torch

from halite.nn.lumin import CatEmbedder, CatEmbHead, InteractionNet, MultiHead
from tests.unit.nn.lumin.test_helpers import (
    CONT_FEATS,
    FEATS_PER_VEC,
    MATRIX_FEATS,
    VECS,
    B,
    FakeFoldYielder,
    codes,
)
from tests.unit.nn.lumin.weights import fixed_input, set_weights

# lumin 0.9.1, this example, eval mode: row 0 of the (5, 21) output and its sum
ROW0 = [0.0, 0.2955202, 0.5646425, 0.0, 0.3221088, 0.4207355, 0.4958324, 0.3377316, 0.0207903,
        -0.0013301, 0.0073301, 0.2425494, 0.0571908, 0.0571314, -0.0559506, -0.2254438, -0.2286416,
        -0.2217457, -0.1188342, -0.1069453, -0.0399432]  # fmt: skip
TOTAL = 1.0643014907836914
KEYS = [
    ("flat_head.embeds.0.weight", (4, 2)), ("flat_head.embeds.1.weight", (7, 4)),
    ("matrix_head.fr.0.0.weight", (4, 8)), ("matrix_head.fr.0.0.bias", (4,)),
    ("matrix_head.fr.1.0.weight", (3, 4)), ("matrix_head.fr.1.0.bias", (3,)),
    ("matrix_head.fo.0.0.weight", (5, 7)), ("matrix_head.fo.0.0.bias", (5,)),
    ("matrix_head.fo.1.0.weight", (4, 5)), ("matrix_head.fo.1.0.bias", (4,)),
]  # fmt: skip


def inet() -> partial:
    return partial(
        InteractionNet, intfunc_depth=2, intfunc_width=4, intfunc_out_sz=3,
        outfunc_depth=2, outfunc_width=5, outfunc_out_sz=4, agg_method="flatten",
        feats_per_vec=FEATS_PER_VEC, vecs=VECS, act="swish",
    )  # fmt: skip


def multi_input() -> torch.Tensor:
    x = fixed_input(B, 16)
    x[:, 14], x[:, 15] = codes()
    return x


def build() -> MultiHead:
    head = MultiHead(
        cont_feats=CONT_FEATS + MATRIX_FEATS,
        matrix_head=inet(),
        cat_embedder=CatEmbedder.from_fy(FakeFoldYielder()),
    )
    set_weights(head)
    return head.eval()


def test_documented_example() -> None:
    head = build()
    assert (head.get_out_size(), head.get_param_count()) == (21, 151)
    assert [(k, tuple(v.shape)) for k, v in head.state_dict().items()] == KEYS
    with torch.no_grad():
        y = head(multi_input())
    assert y.shape == (B, 21)
    assert y[0].tolist() == pytest.approx(ROW0, abs=1e-6)
    assert float(y.sum()) == pytest.approx(TOTAL, abs=1e-5)
    head.train()  # no dropout, no batch norm
    assert float(head(multi_input()).sum()) == pytest.approx(TOTAL, abs=1e-5)


def test_feature_split_and_lookups_as_lumin() -> None:
    head = build()
    assert head.matrix_feats == MATRIX_FEATS and head.n_matrix_in == 11
    assert head.flat_feats == ["c0", "c1", "c2", "k0", "k1"]
    assert head.cont_feats == CONT_FEATS and head.n_cont_in == 3  # only the flat continuous features
    assert head.flat_head.cont_feats == CONT_FEATS and head.matrix_head.cont_feats == MATRIX_FEATS
    assert head.flat_lookup.tolist() == [0, 1, 2, 14, 15]  # lumin 0.9.1
    assert head.matrix_lookup.tolist() == list(range(3, 14))
    assert not {"flat_lookup", "matrix_lookup"} & set(head.state_dict())
    feat_map = {"c0": [0], "c1": [1], "c2": [2], "k0": [3, 4], "k1": [5, 6, 7, 8]}
    assert head.feat_map == {**feat_map, **{f: list(range(9, 21)) for f in MATRIX_FEATS}}  # lumin 0.9.1


def test_flat_head_sees_only_flat_features() -> None:
    head = build()
    x = multi_input()
    moved = x.clone()
    moved[:, 3:14] += 5.0  # change only the matrix features
    with torch.no_grad():
        y, y_moved = head(x), head(moved)
    assert torch.equal(y[:, :9], y_moved[:, :9])
    assert not torch.allclose(y[:, 9:], y_moved[:, 9:])


def test_mixed_column_order_and_tuple_input() -> None:
    order = ["j0_px", "c0", *MATRIX_FEATS[1:6], "c1", *MATRIX_FEATS[6:], "c2"]
    head = MultiHead(
        cont_feats=order, matrix_head=inet(), cat_embedder=CatEmbedder.from_fy(FakeFoldYielder())
    )
    ref = build()
    head.load_state_dict(ref.state_dict(), strict=True)
    head.eval()
    x = multi_input()
    index = [(CONT_FEATS + MATRIX_FEATS).index(f) for f in order] + [14, 15]
    with torch.no_grad():
        assert torch.allclose(head(x[:, index]), ref(x))
        flat = x[:, [0, 1, 2, 14, 15]]
        assert torch.allclose(ref((flat, x[:, 3:14])), ref(x))
        assert torch.allclose(ref((flat, ref.matrix_head._get_matrix(x[:, 3:14]))), ref(x))


class _SparseMapNet(InteractionNet):
    """A matrix head whose feat_map values are not 0..n-1 (lumin 0.9.1's MultiHead indexes by them)."""

    def _map_outputs(self) -> None:
        self.feat_map = {f: [self.get_out_size() - 1] for f in self.cont_feats}


def test_feat_map_offsets_the_values() -> None:
    net = partial(_SparseMapNet, vecs=VECS, feats_per_vec=FEATS_PER_VEC, intfunc_depth=1, intfunc_width=2,
                  intfunc_out_sz=2, outfunc_depth=1, outfunc_width=2, outfunc_out_sz=2, agg_method="sum")  # fmt: skip
    head = MultiHead(cont_feats=CONT_FEATS + MATRIX_FEATS, matrix_head=net)
    assert head.get_out_size() == 3 + 2
    assert head.feat_map["j0_px"] == [3 + 1]


def test_flat_head_partial_freeze_and_matrix_head_must_be_partial() -> None:
    head = MultiHead(
        cont_feats=CONT_FEATS + MATRIX_FEATS,
        matrix_head=inet(),
        flat_head=partial(CatEmbHead, do_cont=0.2),
        freeze=True,
    )
    assert head.flat_head.do_cont == 0.2 and head.get_param_count() == 0
    with pytest.raises(TypeError, match="functools.partial"):
        MultiHead(cont_feats=CONT_FEATS, matrix_head=InteractionNet)
