"""InteractionNet (lumin 0.9.1's OldInteractionNet) against lumin 0.9.1 and the paper (arXiv:1612.00222).

The numbers below were taken from lumin 0.9.1 on its three documented examples with
``matrix_feats`` = the 12 ``{j0,j1,j2}_{px,py,pz,E}`` without ``j2_E`` (11 features), ``vecs = ['j0', 'j1', 'j2']``,
``feats_per_vec = ['px', 'py', 'pz', 'E']``, weights by ``set_weights``, input ``fixed_input(5, 11)``, eval mode.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from halite.nn.lumin import InteractionNet, OldInteractionNet, lookup_uniform_init
from tests.unit.nn.lumin.test_helpers import FEATS_PER_VEC, MATRIX_FEATS, VECS, B
from tests.unit.nn.lumin.weights import fixed_input, set_weights

EXAMPLES = {
    "flatten": {
        "intfunc_depth": 2, "intfunc_width": 4, "intfunc_out_sz": 3,
        "outfunc_depth": 2, "outfunc_width": 5, "outfunc_out_sz": 4, "agg_method": "flatten",
    },
    "sum": {
        "intfunc_depth": 2, "intfunc_width": 4, "intfunc_out_sz": 6,
        "outfunc_depth": 2, "outfunc_width": 5, "outfunc_out_sz": 8, "agg_method": "sum",
    },
    "bn_do": {
        "intfunc_depth": 3, "intfunc_width": 4, "intfunc_out_sz": 3,
        "outfunc_depth": 3, "outfunc_width": 5, "outfunc_out_sz": 4, "agg_method": "flatten",
        "do": 0.1, "bn": True, "act": "swish", "lookup_init": lookup_uniform_init,
    },
}  # fmt: skip

# lumin 0.9.1, these examples, eval mode: output size, parameter count, output row 0, output sum
PINNED = {
    "flatten": (12, 115, [0.9688584, 1.2421205, 0.8516245, 0.0249323, 0.0, 0.0,
                          0.6656151, 0.6975816, 0.843276, 0.1823563, 0.2854559, 0.0], 26.961925506591797),
    "sum": (8, 169, [2.0793743, 0.8170905, 1.4337945, 0.8593211, 0.0, 0.1370167, 0.0, 0.5605064], 26.261945724487305),
    "bn_do": (12, 215, [0.3525257, 0.3524401, 0.3524256, 0.4207455, 0.4207432, 0.4207439,
                        0.4112094, 0.4138176, 0.4128458, 0.3918571, 0.3862728, 0.3885029], 23.630102157592773),
}  # fmt: skip


def shapes(widths: dict[str, list[tuple[int, int]]], bn: bool) -> list[tuple[str, tuple[int, ...]]]:
    """lumin 0.9.1's state-dict layout: ``{fr,fo}.{layer}.0.weight/bias`` (+ ``.2.bn.*`` with bn)."""
    out: list[tuple[str, tuple[int, ...]]] = []
    for net, layers in widths.items():
        for i, (o, n) in enumerate(layers):
            out += [(f"{net}.{i}.0.weight", (o, n)), (f"{net}.{i}.0.bias", (o,))]
            if bn:
                out += [
                    (f"{net}.{i}.2.bn.{k}", (o,)) for k in ("weight", "bias", "running_mean", "running_var")
                ]
                out += [(f"{net}.{i}.2.bn.num_batches_tracked", ())]
    return out


KEYS = {
    "flatten": shapes({"fr": [(4, 8), (3, 4)], "fo": [(5, 7), (4, 5)]}, bn=False),
    "sum": shapes({"fr": [(4, 8), (6, 4)], "fo": [(5, 10), (8, 5)]}, bn=False),
    "bn_do": shapes({"fr": [(4, 8), (4, 4), (3, 4)], "fo": [(5, 7), (5, 5), (4, 5)]}, bn=True),
}
# lumin 0.9.1's receiver / sender matrices for 3 objects
MAT_RR = [[0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 0, 1], [1, 0, 0, 1, 0, 0]]
MAT_RS = [[1, 0, 0, 1, 0, 0], [0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 0, 1]]


def build(example: str, **kwargs: object) -> InteractionNet:
    args = {**EXAMPLES[example], **kwargs}
    net = InteractionNet(cont_feats=MATRIX_FEATS, feats_per_vec=FEATS_PER_VEC, vecs=VECS, **args)  # type: ignore[arg-type]
    set_weights(net)
    return net.eval()


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_documented_examples(example: str) -> None:
    net = build(example)
    size, params, row0, total = PINNED[example]
    assert (net.get_out_size(), net.get_param_count()) == (size, params)
    assert [(k, tuple(v.shape)) for k, v in net.state_dict().items()] == KEYS[example]
    with torch.no_grad():
        y = net(fixed_input(B, 11))
    assert y.shape == (B, size)
    assert y[0].tolist() == pytest.approx(row0, abs=1e-6)
    assert float(y.sum()) == pytest.approx(total, abs=1e-5)
    if example != "bn_do":  # no dropout, no batch norm: train mode gives the same
        net.train()
        assert float(net(fixed_input(B, 11)).sum()) == pytest.approx(total, abs=1e-5)


def test_layer_order_and_dropout_kind() -> None:
    net = build("bn_do")
    layer = net.fr[0]
    assert [type(m).__name__ for m in layer.children()] == ["Linear", "Swish", "LCBatchNorm1d", "Dropout"]
    selu = build("bn_do", act="selu")
    assert [type(m).__name__ for m in selu.fo[2].children()] == [
        "Linear",
        "SELU",
        "LCBatchNorm1d",
        "AlphaDropout",
    ]
    linear = build("flatten", act="linear")
    assert [type(m).__name__ for m in linear.fo[1].children()] == ["Linear"]


def test_lumin_edges_and_buffers_not_in_state_dict() -> None:
    net = build("flatten")
    assert net.mat_rr.tolist() == MAT_RR and net.mat_rs.tolist() == MAT_RS
    assert torch.equal(net.mat_rr_t, net.mat_rr.t())
    assert not {"mat_rr", "mat_rs", "mat_rr_t", "lookup", "missing"} & set(net.state_dict())


def test_all_pairs_edges() -> None:
    net = build("flatten", edges="all_pairs")
    rr, rs = net.mat_rr, net.mat_rs
    assert rr.shape == rs.shape == (3, 6)
    assert (rr.sum(0) == 1).all() and (rs.sum(0) == 1).all()
    pairs = {(int(rr[:, e].argmax()), int(rs[:, e].argmax())) for e in range(6)}
    assert pairs == {(r, s) for r in range(3) for s in range(3) if r != s}
    assert net.get_param_count() == PINNED["flatten"][1]


def reference(net: InteractionNet, mat: Tensor, senders: dict[int, list[int]]) -> Tensor:
    """The interaction net written object by object: effect at r = sum over its senders s of f_R([o_r; o_s])."""
    cols = []
    for r in range(mat.shape[2]):
        o_r = mat[:, :, r]
        effect = sum(net.fr(torch.cat((o_r, mat[:, :, s]), 1)) for s in senders[r])
        cols.append(net.fo(torch.cat((o_r, effect), 1)))  # type: ignore[arg-type]
    return torch.stack(cols, 2).reshape(mat.shape[0], -1)  # (B, outfunc_out_sz, n_v) feature-major


def test_edges_against_object_by_object_reference() -> None:
    x = fixed_input(B, 11)
    lumin, paper = build("flatten"), build("flatten", edges="all_pairs")
    paper.load_state_dict(lumin.state_dict())
    mat = lumin._get_matrix(x)
    with torch.no_grad():
        # lumin: object r receives from object r + 1 only, n_v - 1 = 2 times
        assert torch.allclose(
            lumin(x), reference(lumin, mat, {r: [(r + 1) % 3] * 2 for r in range(3)}), atol=1e-6
        )
        # the paper: from every other object once
        assert torch.allclose(
            paper(x), reference(paper, mat, {r: [s for s in range(3) if s != r] for r in range(3)}), atol=1e-6
        )
        assert not torch.allclose(lumin(x), paper(x))


def test_two_objects_lumin_is_all_pairs() -> None:
    feats = ["a_x", "a_y", "b_x", "b_y"]
    nets = [
        InteractionNet(feats, ["a", "b"], ["x", "y"], 1, 3, 2, 1, 3, 2, "sum", edges=e)
        for e in ("lumin", "all_pairs")
    ]
    set_weights(nets[0])
    nets[1].load_state_dict(nets[0].state_dict())
    x = fixed_input(4, 4)
    assert torch.allclose(nets[0](x), nets[1](x))


def test_matrix_and_tuple_inputs() -> None:
    net = build("flatten")
    x = fixed_input(B, 11)
    mat = net._get_matrix(x)
    assert mat.shape == (B, 4, 3)  # column-wise: features x objects
    assert (mat[:, 3, 2] == 0).all()  # j2_E is missing
    assert torch.equal(mat[:, 0, 1], x[:, 4])  # j1_px
    with torch.no_grad():
        assert torch.equal(net(mat), net(x)) and torch.equal(net((x, mat)), net(x))


def test_names_and_errors() -> None:
    assert OldInteractionNet is InteractionNet
    net = InteractionNet(MATRIX_FEATS, VECS, FEATS_PER_VEC, 1, 2, 2, 1, 2, 2, "Sum")
    assert net.agg_method == "sum"
    assert net.feat_map == {f: [0, 1] for f in MATRIX_FEATS}
    with pytest.raises(ValueError, match="agg_method='mean'"):
        InteractionNet(MATRIX_FEATS, VECS, FEATS_PER_VEC, 1, 2, 2, 1, 2, 2, "mean")
    with pytest.raises(ValueError, match="edges='cycle'"):
        InteractionNet(MATRIX_FEATS, VECS, FEATS_PER_VEC, 1, 2, 2, 1, 2, 2, "sum", edges="cycle")


def test_freeze() -> None:
    net = InteractionNet(MATRIX_FEATS, VECS, FEATS_PER_VEC, 1, 2, 2, 1, 2, 2, "sum", freeze=True)
    assert net.get_param_count() == 0 and net.get_param_count(trainable=False) > 0
