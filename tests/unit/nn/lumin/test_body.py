"""lumin 0.9.1's bodies: FullyConnected and MultiBlock match lumin on its documented examples."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import torch

from halite.nn.lumin import FullyConnected, IdentBody, MultiBlock, lookup_uniform_init
from halite.nn.lumin.body import AbsBody
from tests.unit.nn.lumin.lumin_body_numbers import LUMIN
from tests.unit.nn.lumin.weights import fixed_input, set_weights

# ``head.feat_map`` of the FullyConnected examples: 32 features, one column each.
FC_MAP = {f"f{i}": [i] for i in range(32)}
# ``head.feat_map`` / ``train_feats`` of the MultiBlock examples: interleaved DER_ / PRI_ features, one
# feature on two columns, one feature in no block (only the bottlenecks read it).
MB_MAP = {"DER_mass": [0], "PRI_pt": [1], "DER_pt": [2], "PRI_eta": [3, 4], "PRI_phi": [5], "other": [6]}
TRAIN_FEATS = list(MB_MAP)
FPB = [[f for f in TRAIN_FEATS if "DER_" in f], [f for f in TRAIN_FEATS if "PRI_" in f]]


def mb_blocks(growth_rate: float) -> list[partial[FullyConnected]]:
    return [
        partial(FullyConnected, depth=1, width=50, act="swish"),
        partial(FullyConnected, depth=6, width=55, act="swish", dense=True, growth_rate=growth_rate),
    ]


def mb(growth_rate: float = 0.1, **kw: object) -> MultiBlock:
    return MultiBlock(n_in=7, feat_map=MB_MAP, blocks=mb_blocks(growth_rate), feats_per_block=FPB, **kw)  # type: ignore[arg-type]


# The documentation's examples (the seed prints growth_rate=0.3 / 0.1; lumin's source has -0.3 / -0.1:
# both are pinned), plus a residual stack with batch norm.
EXAMPLES: dict[str, tuple[Callable[[], AbsBody], int]] = {
    "fc_relu": (lambda: FullyConnected(n_in=32, feat_map=FC_MAP, depth=4, width=100, act="relu"), 32),
    "fc_growth": (
        lambda: FullyConnected(n_in=32, feat_map=FC_MAP, depth=4, width=200, act="relu", growth_rate=0.3),
        32,
    ),
    "fc_growth_neg": (
        lambda: FullyConnected(n_in=32, feat_map=FC_MAP, depth=4, width=200, act="relu", growth_rate=-0.3),
        32,
    ),
    "fc_res": (
        lambda: FullyConnected(n_in=32, feat_map=FC_MAP, depth=4, width=100, act="swish", do=0.1, res=True),
        32,
    ),
    "fc_dense": (
        lambda: FullyConnected(
            n_in=32, feat_map=FC_MAP, depth=6, width=32, act="selu", dense=True, growth_rate=0.5
        ),
        32,
    ),
    "fc_prelu_bn": (
        lambda: FullyConnected(
            n_in=32, feat_map=FC_MAP, depth=6, width=50, act="prelu", bn=True, lookup_init=lookup_uniform_init
        ),
        32,
    ),
    "fc_res_bn": (
        lambda: FullyConnected(n_in=32, feat_map=FC_MAP, depth=5, width=16, act="relu", bn=True, res=True),
        32,
    ),
    "mb_plain": (lambda: mb(0.1), 7),
    "mb_plain_neg": (lambda: mb(-0.1), 7),
    "mb_bottleneck": (lambda: mb(0.1, bottleneck=True), 7),
    "mb_bottleneck_swish": (lambda: mb(0.1, bottleneck=True, bottleneck_act="swish"), 7),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_matches_lumin(name: str) -> None:
    make, n_in = EXAMPLES[name]
    want = LUMIN[name]
    block = make()
    assert block.get_out_size() == want["out"]
    assert block.get_param_count() == want["params"]
    assert [(k, tuple(v.shape)) for k, v in block.state_dict().items()] == want["keys"]
    set_weights(block)
    block.eval()
    with torch.no_grad():
        out = block(fixed_input(4, n_in))
    assert out.shape == (4, want["out"])
    torch.testing.assert_close(out[:2, :3], torch.tensor(want["eval_rows"]), rtol=1e-5, atol=1e-5)
    assert out.double().sum().item() == pytest.approx(want["eval_sum"], rel=1e-5, abs=1e-3)


def test_fully_connected_layout() -> None:
    res: Any = FullyConnected(3, {}, depth=4, width=5, res=True)
    assert res.depth == 3 and len(res.res_bns) == 2  # an even depth gains a layer; BN after every addition
    assert [type(m).__name__ for m in res[1]] == ["Linear", "ReLU", "Linear", "ReLU"]
    bn_res: Any = FullyConnected(3, {}, depth=3, width=5, res=True, bn=True, do=0.2, act="selu")
    assert [type(m).__name__ for m in bn_res[1]] == [
        "Linear", "SELU", "BatchNorm1d", "AlphaDropout", "Linear", "SELU", "AlphaDropout",
    ]  # fmt: skip
    lin: Any = FullyConnected(3, {}, depth=2, width=4, act="linear", do=0.5)
    assert [type(m).__name__ for m in lin[0]] == ["Linear", "Dropout"]
    dense: Any = FullyConnected(3, {}, depth=3, width=4, dense=True, growth_rate=-0.5)
    assert [(s[0].in_features, s[0].out_features) for s in dense.layers] == [(3, 4), (7, 2), (9, 1)]
    tiny: Any = FullyConnected(3, {}, depth=3, width=2, growth_rate=-0.9)
    assert [(s[0].in_features, s[0].out_features) for s in tiny.layers] == [(3, 2), (2, 1), (1, 1)]
    assert tiny.get_out_size() == 1


def test_fully_connected_dense_concatenates_newest_first() -> None:
    block: Any = FullyConnected(2, {}, depth=2, width=3, dense=True, act="linear")
    x = torch.randn(5, 2)
    first = block.layers[0](x)
    torch.testing.assert_close(block(x), block.layers[1](torch.cat((first, x), -1)))


def test_res_and_dense_are_exclusive() -> None:
    with pytest.raises(ValueError, match="mutually exclusive"):
        FullyConnected(3, {}, depth=2, width=4, res=True, dense=True)


def test_lookup_init_and_freeze() -> None:
    calls: list[tuple[str, int | None, int | None]] = []

    def lookup(act: str, fan_in: int | None, fan_out: int | None) -> Callable[[torch.Tensor], Any]:
        calls.append((act, fan_in, fan_out))
        return torch.nn.init.ones_

    block: Any = FullyConnected(3, {}, depth=2, width=4, act="swish", lookup_init=lookup, freeze=True)
    assert calls == [("swish", 3, 4), ("swish", 4, 4)]
    assert torch.all(block.layers[0][0].weight == 1) and torch.all(block.layers[0][0].bias == 0)
    assert block.get_param_count() == 0 and block.get_param_count(trainable=False) == 36
    block.unfreeze_layers()
    assert block.get_param_count() == 36


def test_multiblock_masks_and_bottleneck() -> None:
    block: Any = mb(bottleneck=True)
    assert block.bottleneck_sz == 1
    assert block.masks == [[0, 2], [1, 3, 4, 5]]  # feat_map order
    assert block.bottleneck_masks == [[1, 3, 4, 5, 6], [0, 2, 6]]
    assert block.blocks[0].n_in == 3 and block.blocks[1].feat_map == {
        "PRI_pt": [1],
        "PRI_eta": [3, 4],
        "PRI_phi": [5],
    }
    sized = mb(bottleneck_sz=1)
    assert list(sized.state_dict()) == list(block.state_dict())
    wide: Any = mb(bottleneck_sz=3, bottleneck_act="relu")
    assert wide.blocks[1].n_in == 7 and [type(m).__name__ for m in wide.bottleneck_blocks[0]] == [
        "Linear",
        "ReLU",
    ]  # type: ignore[index]
    assert mb().bottleneck_blocks is None


def test_multiblock_freeze_covers_the_bottlenecks() -> None:
    # lumin 0.9.1 leaves the bottleneck layers trainable with freeze=True
    block = mb(bottleneck=True, freeze=True)
    assert (
        block.get_param_count() == 0
        and block.get_param_count(trainable=False) == LUMIN["mb_bottleneck"]["params"]
    )


def test_multiblock_errors_and_warnings() -> None:
    with pytest.raises(ValueError, match="bottleneck=False contradicts"):
        mb(bottleneck=False, bottleneck_sz=2)
    with pytest.raises(ValueError, match="one list of feature names per block"):
        MultiBlock(7, MB_MAP, mb_blocks(0.1), FPB[:1])
    with pytest.warns(UserWarning, match="not in feat_map"):
        MultiBlock(7, MB_MAP, mb_blocks(0.1), [["DER_mass", "DER_typo"], FPB[1]])


def test_ident_body() -> None:
    body = IdentBody(n_in=4, feat_map={"a": [0, 1, 2, 3]})
    x = torch.randn(2, 4)
    assert body(x) is x and body.get_out_size() == 4 and body.bn_class is torch.nn.BatchNorm1d


# lumin 0.9.1, these examples (no dropout), train mode after ``set_weights``, ``fixed_input(4, 32)``:
# batch-norm on the batch statistics; rows 0-1, columns 0-2.
LUMIN_TRAIN_ROWS = {
    "fc_prelu_bn": [[-0.190613, 0.264817, 0.359774], [-0.027513, 0.323738, 0.460384]],
    "fc_res_bn": [[-0.139708, 0.202425, 0.503559], [-0.139708, 0.202425, 0.510904]],
}


@pytest.mark.parametrize("name", sorted(LUMIN_TRAIN_ROWS))
def test_train_mode_matches_lumin(name: str) -> None:
    make, n_in = EXAMPLES[name]
    block = make()
    set_weights(block)
    block.train()
    with torch.no_grad():
        out = block(fixed_input(4, n_in))
    torch.testing.assert_close(out[:2, :3], torch.tensor(LUMIN_TRAIN_ROWS[name]), rtol=1e-5, atol=1e-5)
