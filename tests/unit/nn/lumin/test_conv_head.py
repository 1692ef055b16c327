"""AbsConv1dHead (lumin 0.9.1's documented subclasses) and ConvHead, against lumin's numbers (pinned_conv.py)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from halite.nn.lumin import AbsConv1dHead, AdaptiveAvgMaxConcatPool1d, Conv1DBlock, ConvHead, Res1DBlock
from tests.unit.nn.lumin.pinned_conv import CONT_FEATS, FEATS_PER_VEC, LUMIN, N_FLAT, VECS, check_pinned
from tests.unit.nn.lumin.weights import fixed_input, set_weights


# The three Examples:: of lumin's AbsConv1dHead, as documented.
class MyCNN(AbsConv1dHead):
    def get_layers(self, act: str = "relu", bn: bool = False, **kargs: Any) -> nn.Module:
        layers = []
        layers.append(self.get_conv1d_block(3, 16, stride=1, kernel_sz=3, act=act, bn=bn))
        layers.append(self.get_conv1d_block(16, 16, stride=1, kernel_sz=3, act=act, bn=bn))
        layers.append(self.get_conv1d_block(16, 32, stride=2, kernel_sz=3, act=act, bn=bn))
        layers.append(self.get_conv1d_block(32, 32, stride=1, kernel_sz=3, act=act, bn=bn))
        layers.append(nn.AdaptiveAvgPool1d(1))
        return nn.Sequential(*layers)


class MyResNet(AbsConv1dHead):
    def get_layers(self, act: str = "relu", bn: bool = False, **kargs: Any) -> nn.Module:
        layers = []
        layers.append(self.get_conv1d_block(3, 16, stride=1, kernel_sz=3, act="linear", bn=False))
        layers.append(self.get_conv1d_res_block(16, 16, stride=1, kernel_sz=3, act=act, bn=bn))
        layers.append(self.get_conv1d_res_block(16, 32, stride=2, kernel_sz=3, act=act, bn=bn))
        layers.append(self.get_conv1d_res_block(32, 32, stride=1, kernel_sz=3, act=act, bn=bn))
        layers.append(nn.AdaptiveAvgPool1d(1))
        return nn.Sequential(*layers)


class MyResNeXt(AbsConv1dHead):
    def get_layers(self, act: str = "relu", bn: bool = False, **kargs: Any) -> nn.Module:
        layers = []
        layers.append(self.get_conv1d_block(3, 32, stride=1, kernel_sz=3, act="linear", bn=False))
        layers.append(self.get_conv1d_resNeXt_block(32, 4, 4, 32, stride=1, kernel_sz=3, act=act, bn=bn))
        layers.append(self.get_conv1d_resNeXt_block(32, 4, 4, 32, stride=2, kernel_sz=3, act=act, bn=bn))
        layers.append(self.get_conv1d_resNeXt_block(32, 4, 4, 32, stride=1, kernel_sz=3, act=act, bn=bn))
        layers.append(nn.AdaptiveAvgPool1d(1))
        return nn.Sequential(*layers)


H = {"cont_feats": CONT_FEATS, "vecs": VECS, "feats_per_vec": FEATS_PER_VEC}
EXAMPLES = {
    "mycnn": lambda: MyCNN(**H),
    "mycnn_bn": lambda: MyCNN(**H, bn=True),
    "myresnet": lambda: MyResNet(**H),
    "myresnext": lambda: MyResNeXt(**H),
    "myresnext_bn": lambda: MyResNeXt(**H, bn=True, act="swish"),
}
# The same networks as ConvHead specs.
SPECS: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
    "mycnn": ([{"out_c": 16}, {"out_c": 16}, {"out_c": 32, "stride": 2}, {"out_c": 32}], {}),
    "mycnn_bn": ([{"out_c": 16}, {"out_c": 16}, {"out_c": 32, "stride": 2}, {"out_c": 32}], {"bn": True}),
    "myresnet": (
        [
            {"out_c": 16, "act": "linear", "bn": False},
            {"kind": "res", "out_c": 16},
            {"kind": "res", "out_c": 32, "stride": 2},
            {"kind": "res", "out_c": 32},
        ],
        {},
    ),
    "myresnext_bn": (
        [
            {"out_c": 32, "act": "linear", "bn": False},
            *[
                {"kind": "resnext", "out_c": 32, "inter_c": 4, "cardinality": 4, "stride": s}
                for s in (1, 2, 1)
            ],
        ],
        {"bn": True, "act": "swish"},
    ),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_documented_examples_match_lumin(name: str) -> None:
    head = EXAMPLES[name]()
    assert head.get_out_size() == LUMIN[name]["out_size"] == head.out_sz
    assert head.get_param_count() == LUMIN[name]["params"]
    check_pinned(name, head)


@pytest.mark.parametrize("name", ["mycnn", "myresnext_bn"])
def test_seeded_init_draws_as_lumin(name: str) -> None:
    """Same seed: same weights, and check_out_sz's torch.rand leaves the generator where lumin's does."""
    key, first, rng_after = LUMIN[name]["seed0"]
    torch.manual_seed(0)
    head = EXAMPLES[name]()
    assert head.state_dict()[key].flatten()[:3].tolist() == pytest.approx(first, rel=1e-5)
    assert torch.rand(1).item() == pytest.approx(rng_after, rel=1e-6)


def test_column_wise_matrix_with_zero_fill() -> None:
    """Conv heads read (B, n_fpv, n_v) (lumin's row_wise=False); the absent j3_pz is zero."""
    head = MyCNN(**H)
    assert head.row_wise is False
    x = fixed_input(4, N_FLAT)
    mat = head._get_matrix(x)
    assert mat.shape == (4, 3, 8)
    assert torch.equal(mat[:, 2, 3], torch.zeros(4))
    assert torch.equal(mat[:, 0, 1], x[:, CONT_FEATS.index("j1_px")])
    assert torch.equal(mat[:, 1, 7], x[:, CONT_FEATS.index("j7_py")])
    assert not {"lookup", "missing"} & set(head.state_dict())


def test_flat_matrix_and_tuple_inputs_agree() -> None:
    head = MyResNet(**H).eval()
    x = fixed_input(4, N_FLAT)
    mat = head._get_matrix(x)
    y = head(x)
    assert torch.equal(y, head(mat)) and torch.equal(y, head((x, mat)))
    assert y.shape == (4, 32)


def test_get_layers_receives_in_c_and_layer_kargs() -> None:
    seen: dict[str, Any] = {}

    class Probe(AbsConv1dHead):
        def get_layers(self, in_c: int, act: str = "relu", bn: bool = False, **kargs: Any) -> nn.Module:
            seen.update(in_c=in_c, act=act, bn=bn, **kargs)
            return nn.Sequential(self.get_conv1d_block(in_c, kargs["width"], kernel_sz=3, act=act, bn=bn))

    head = Probe(**H, act="swish", bn=True, layer_kargs={"width": 5})
    assert seen == {"in_c": 3, "act": "swish", "bn": True, "width": 5}
    assert head.get_out_size() == 5 * 8  # no pooling: out_c * n_v, flattened
    assert head.feat_map == {f: list(range(40)) for f in CONT_FEATS}


def test_builders_use_the_heads_lookups_and_batch_norm() -> None:
    calls: list[str] = []

    def lookup_act(act: str) -> nn.Module:
        calls.append(act)
        return nn.Tanh()

    head = MyCNN(**H, lookup_act=lookup_act, bn=True, bn_class=nn.InstanceNorm1d)
    block = head.get_conv1d_block(3, 4, kernel_sz=3)
    assert isinstance(block, Conv1DBlock) and isinstance(block.layers[1], nn.Tanh)
    assert isinstance(head.layers[0].layers[2], nn.InstanceNorm1d)
    assert isinstance(head.get_conv1d_res_block(4, 4, kernel_sz=3, bn=True), Res1DBlock)
    assert calls and set(calls) == {"relu"}


def test_check_out_sz_keeps_the_training_mode() -> None:
    head = MyCNN(**H, bn=True)
    assert head.training
    head.train()
    running = head.layers[0].layers[2].running_mean.clone()
    assert head.check_out_sz() == 32
    assert head.training and torch.equal(running, head.layers[0].layers[2].running_mean)


def test_freeze() -> None:
    head = MyCNN(**H, freeze=True)
    assert head.get_param_count() == 0
    head.unfreeze_layers()
    assert head.get_param_count() == LUMIN["mycnn"]["params"]


def test_abstract_without_get_layers() -> None:
    with pytest.raises(TypeError):
        AbsConv1dHead(**H)  # type: ignore[abstract]


@pytest.mark.parametrize("name", list(SPECS))
def test_conv_head_builds_the_documented_examples(name: str) -> None:
    """ConvHead from specs has the lumin example's layout and numbers (loads its state dict strictly)."""
    blocks, kw = SPECS[name]
    head = ConvHead(**H, blocks=blocks, pool="avg", **kw)
    check_pinned(name, head)
    example = EXAMPLES[name]()
    set_weights(example)
    head.load_state_dict(example.state_dict(), strict=True)
    x = fixed_input(4, N_FLAT)
    assert torch.allclose(head.eval()(x), example.eval()(x), atol=1e-6)


@pytest.mark.parametrize(
    ("pool", "out_size", "last"),
    [
        ("max", 8, nn.AdaptiveMaxPool1d),
        ("avgmax", 16, AdaptiveAvgMaxConcatPool1d),
        ("flatten", 8 * 4, Conv1DBlock),
    ],
)
def test_conv_head_pools(pool: str, out_size: int, last: type) -> None:
    head = ConvHead(**H, blocks=[{"out_c": 8, "kernel_sz": 5, "stride": 2}], pool=pool)
    assert head.get_out_size() == out_size and isinstance(head.layers[-1], last)
    assert head(fixed_input(2, N_FLAT)).shape == (2, out_size)


@pytest.mark.parametrize(
    ("blocks", "pool", "match"),
    [
        ([], "avg", "blocks is empty"),
        ([{"out_c": 4}], "mean", "unknown pool 'mean'"),
        ([{"kind": "dense", "out_c": 4}], "avg", "unknown kind 'dense'"),
        ([{"kind": "resnext", "out_c": 4, "inter_c": 2}], "avg", r"lacks \['cardinality'\]"),
        ([{"out_c": 4, "kernel": 3}], "avg", r"unknown keys \['kernel'\]"),
    ],
)
def test_conv_head_bad_specs(blocks: list[dict[str, Any]], pool: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ConvHead(**H, blocks=blocks, pool=pool)


def test_conv_head_from_a_yaml_style_config() -> None:
    """ConvHead builds from plain data (class_path / init_args, as a YAML model config gives it)."""
    from jsonargparse import ArgumentParser

    parser = ArgumentParser()
    parser.add_argument("--head", type=nn.Module)
    init_args = {
        **H,
        "blocks": [{"out_c": 8}, {"kind": "res", "out_c": 8, "stride": 2}],
        "pool": "avgmax",
        "bn": True,
    }
    cfg = parser.parse_object({"head": {"class_path": "halite.nn.lumin.ConvHead", "init_args": init_args}})
    head = parser.instantiate_classes(cfg).head
    assert isinstance(head, ConvHead) and head.get_out_size() == 16
    assert head(fixed_input(2, N_FLAT)).shape == (2, 16)
