"""``AutoExtractLorentzBoostNet`` against lumin 0.9.1's, with lumin's numbers pinned.

Data as in ``test_lorentz.py`` (stated there): 5 objects ``p0..p4`` with ``[px, py, pz, E]`` (energy last),
physical 4-momenta from ``fixed_input`` with masses 0.14..5, a batch of 4. Every pinned number was taken
from lumin 0.9.1 (torch 2.13.0, cpu) on that input after ``set_weights``, eval mode unless stated.
"""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import nn

from halite.nn.lumin import AutoExtractLorentzBoostNet, LCBatchNorm1d, lookup_act, lookup_normal_init
from tests.unit.nn.lumin.test_lorentz import CONT, FPV, VECS, close, edge, physical
from tests.unit.nn.lumin.weights import set_weights

# lumin 0.9.1: the documented example (n_particles=6, depth=3, width=10, n_singles=3, n_pairs=2)
AE_KEYS = [
    ("part_wgts", (6, 1, 5, 1)),
    ("rf_wgts", (6, 1, 5, 1)),
    ("single_nn.0.0.weight", (10, 4)),
    ("single_nn.0.0.bias", (10,)),
    ("single_nn.1.0.weight", (10, 10)),
    ("single_nn.1.0.bias", (10,)),
    ("single_nn.2.0.weight", (3, 10)),
    ("single_nn.2.0.bias", (3,)),
    ("pair_nn.0.0.weight", (10, 8)),
    ("pair_nn.0.0.bias", (10,)),
    ("pair_nn.1.0.weight", (10, 10)),
    ("pair_nn.1.0.bias", (10,)),
    ("pair_nn.2.0.weight", (2, 10)),
    ("pair_nn.2.0.bias", (2,)),
    ("pre_bn.weight", (24,)),
    ("pre_bn.bias", (24,)),
    ("pre_bn.running_mean", (24,)),
    ("pre_bn.running_var", (24,)),
    ("pre_bn.num_batches_tracked", ()),
]


def example(**kw: object) -> AutoExtractLorentzBoostNet:
    args: dict[str, object] = {"n_particles": 6, "depth": 3, "width": 10, "n_singles": 3, "n_pairs": 2}
    args.update(kw)
    return AutoExtractLorentzBoostNet(cont_feats=CONT, feats_per_vec=FPV, vecs=VECS, **args)  # type: ignore[arg-type]


def small(**kw: object) -> AutoExtractLorentzBoostNet:
    """n_particles=3, depth=2, width=5, n_singles=2, n_pairs=1, do=0.1, bn=True, act='relu' (not documented)."""
    args: dict[str, object] = {"n_particles": 3, "depth": 2, "width": 5, "n_singles": 2, "n_pairs": 1}
    args.update({"do": 0.1, "bn": True, "act": "relu"} | kw)
    return AutoExtractLorentzBoostNet(cont_feats=CONT, feats_per_vec=FPV, vecs=VECS, **args)  # type: ignore[arg-type]


def test_signature_is_lumins() -> None:
    params = inspect.signature(AutoExtractLorentzBoostNet).parameters
    assert list(params) == [
        "cont_feats",
        "vecs",
        "feats_per_vec",
        "n_particles",
        "depth",
        "width",
        "n_singles",
        "n_pairs",
        "act",
        "do",
        "bn",
        "lookup_init",
        "lookup_act",
        "freeze",
        "bn_class",
        "numerics",
        "momentum_format",
        "mass",
        "scale",
        "precision",
        "kargs",
    ]
    d = {k: p.default for k, p in params.items()}
    assert (d["n_singles"], d["n_pairs"], d["act"], d["do"], d["bn"], d["freeze"]) == (
        0,
        0,
        "swish",
        0,
        False,
        False,
    )
    assert (
        d["lookup_init"] is lookup_normal_init
        and d["lookup_act"] is lookup_act
        and d["bn_class"] is nn.BatchNorm1d
    )
    assert params["numerics"].kind is inspect.Parameter.KEYWORD_ONLY


def test_documented_example_matches_lumin() -> None:
    torch.manual_seed(0)
    block = example()
    close(torch.rand(3), [0.94095474, 0.002533555, 0.77075267])  # lumin's RNG state after the same build
    assert block.get_out_size() == 48  # 6 * 3 singles + 15 * 2 pairs
    assert block.get_param_count() == 523
    assert [(k, tuple(v.shape)) for k, v in block.state_dict().items()] == AE_KEYS
    assert block.bn is None and block.n_singles == 3 and block.n_pairs == 2
    set_weights(block)
    flat, mat = physical()
    block.eval()
    with torch.no_grad():
        out = block(flat)
        close(out[0, :5], [-0.20278519, -0.27542222, -0.27541807, 0.33219364, 0.13730295])
        close(out[3, -3:], [0.82983321, 9.181777, 5.6099215])
        torch.testing.assert_close(block(mat), out)
    block.train()  # no dropout: train mode (pre_bn batch statistics) agrees too
    close(block(flat)[1, :3], [-0.0040940917, -0.17629233, -0.22589582])


def test_bn_and_dropout_layers_match_lumin() -> None:
    torch.manual_seed(0)
    block = small()
    close(block.part_wgts.detach().flatten()[:3], [0.51366538, -0.097809635, -0.72626311])
    close(torch.rand(3), [0.65808296, 0.48968571, 0.38754892])
    assert block.get_out_size() == 9 and block.get_param_count() == 168
    keys = list(block.state_dict())
    assert keys[2:12] == [
        "single_nn.0.0.weight",
        "single_nn.0.0.bias",
        "single_nn.0.2.bn.weight",
        "single_nn.0.2.bn.bias",
        "single_nn.0.2.bn.running_mean",
        "single_nn.0.2.bn.running_var",
        "single_nn.0.2.bn.num_batches_tracked",
        "single_nn.1.0.weight",
        "single_nn.1.0.bias",
        "single_nn.1.2.bn.weight",
    ]
    assert len(keys) == 35 and keys[-5:] == [
        f"pre_bn.{k}" for k in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    ]
    layer = block.single_nn[0]
    assert [type(m) for m in layer] == [nn.Linear, nn.ReLU, LCBatchNorm1d, nn.Dropout]
    set_weights(block)
    flat, _ = physical()
    with torch.no_grad():
        out = block.eval()(flat)
    close(out[0, :5], [-0.18238679, 0.21129566, -0.18238679, 0.21129566, -0.18238679])
    close(out[3, -3:], [0.41097617, 0.41097617, 0.41097617])


def test_selu_uses_alpha_dropout_and_linear_has_no_activation() -> None:
    assert isinstance(small(act="selu").pair_nn[0][-1], nn.AlphaDropout)
    assert [type(m) for m in small(act="linear", bn=False).single_nn[0]] == [nn.Linear, nn.Dropout]


def test_singles_or_pairs_only() -> None:
    singles = example(n_pairs=0)
    assert singles.get_out_size() == 18 and not isinstance(singles.pair_nn, nn.Module)
    pairs = example(n_singles=0)
    assert pairs.get_out_size() == 30 and not isinstance(pairs.single_nn, nn.Module)
    assert not any(k.startswith("single_nn") for k in pairs.state_dict())
    flat, _ = physical()
    assert pairs.eval()(flat).shape == (4, 30)
    with pytest.raises(ValueError, match="n_singles"):
        example(n_singles=0, n_pairs=0)


def test_freeze_freezes_everything() -> None:
    # lumin 0.9.1 freezes only part_wgts / rf_wgts (the networks are built after its freeze); here all
    block = example(freeze=True)
    assert block.freeze is True
    assert block.get_param_count() == 0 and block.get_param_count(trainable=False) == 523


def test_bn_class_reaches_the_networks() -> None:
    # lumin 0.9.1 uses nn.BatchNorm1d inside the networks whatever bn_class is; here bn_class
    class MyBN(nn.BatchNorm1d):
        pass

    block = small(bn_class=MyBN)
    assert isinstance(block.pre_bn, MyBN) and isinstance(block.single_nn[0][2].bn, MyBN)


def test_massless_frame_gradients() -> None:
    x = edge()[2:3]  # one massless object (E = |p| = 1300), the other objects zero-padded
    for numerics, finite in (("lumin", False), ("safe", True)):
        block = small(numerics=numerics, do=0.0)
        set_weights(block)
        block.eval()
        out = block(x)
        assert torch.isfinite(out).all()
        out.sum().backward()
        grads = torch.cat([p.grad.flatten() for p in block.parameters() if p.grad is not None])
        assert bool(torch.isfinite(grads).all()) is finite
