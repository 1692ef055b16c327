"""RecurrentHead: lumin 0.9.1's documented examples (numbers in pinned_conv.py), layout, init and options."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from halite.nn.lumin import RecurrentHead, lookup_uniform_init
from tests.unit.nn.lumin.pinned_conv import CONT_FEATS, FEATS_PER_VEC, LUMIN, N_FLAT, VECS, check_pinned
from tests.unit.nn.lumin.weights import fixed_input, set_weights

H = {"cont_feats": CONT_FEATS, "vecs": VECS, "feats_per_vec": FEATS_PER_VEC}
# lumin's Examples:: (matrix_feats = CONT_FEATS).
EXAMPLES = {
    "rnn_a": lambda: RecurrentHead(**H, depth=1, width=20),
    "rnn_b": lambda: RecurrentHead(**H, depth=2, width=10, act="relu", bidirectional=True),
    "lstm": lambda: RecurrentHead(**H, depth=1, width=10, rnn=nn.LSTM),
    "gru": lambda: RecurrentHead(**H, depth=3, width=10, rnn=nn.GRU, bidirectional=True),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_documented_examples_match_lumin(name: str) -> None:
    head = EXAMPLES[name]()
    assert head.get_out_size() == LUMIN[name]["out_size"]
    check_pinned(name, head)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_seeded_init_draws_as_lumin(name: str) -> None:
    key, first, rng_after = LUMIN[name]["seed0"]
    torch.manual_seed(0)
    head = EXAMPLES[name]()
    assert head.state_dict()[key].flatten()[:3].tolist() == pytest.approx(first, rel=1e-5, abs=1e-7)
    assert torch.rand(1).item() == pytest.approx(rng_after, rel=1e-6)


def test_row_wise_matrix_zero_fill_and_inputs() -> None:
    head = EXAMPLES["gru"]().eval()
    assert head.row_wise is True
    x = fixed_input(4, N_FLAT)
    mat = head._get_matrix(x)
    assert mat.shape == (4, 8, 3) and torch.equal(mat[:, 3, 2], torch.zeros(4))
    assert torch.equal(mat[:, 5, 1], x[:, CONT_FEATS.index("j5_py")])
    y = head(x)
    assert torch.equal(y, head(mat)) and torch.equal(y, head((x, mat)))
    assert not {"lookup", "missing"} & set(head.state_dict())


def test_output_is_the_last_steps_output() -> None:
    head = EXAMPLES["rnn_b"]()
    assert head.rnn.nonlinearity == "relu" and head.rnn.bidirectional and head.rnn.num_layers == 2
    mat = fixed_input(4, 8, 3)
    assert torch.equal(head(mat), head.rnn(mat)[0][:, -1])


def test_lumin_initialisation() -> None:
    lstm = RecurrentHead(**H, depth=1, width=5, rnn=nn.LSTM).rnn
    for b in (lstm.bias_ih_l0, lstm.bias_hh_l0):  # forget gate 1 in both bias vectors, as lumin
        assert torch.equal(b, torch.tensor([0.0] * 5 + [1.0] * 5 + [0.0] * 10))
    for i in range(4):
        w = lstm.weight_hh_l0[i * 5 : (i + 1) * 5]
        assert torch.allclose(w @ w.T, torch.eye(5), atol=1e-5)
    gru = RecurrentHead(**H, depth=1, width=5, rnn=nn.GRU).rnn
    assert torch.equal(gru.bias_ih_l0, torch.tensor([-1.0] * 5 + [0.0] * 10))
    rnn = RecurrentHead(**H, depth=1, width=5).rnn
    assert torch.allclose(rnn.weight_hh_l0 @ rnn.weight_hh_l0.T, torch.eye(5), atol=1e-5)
    assert rnn.nonlinearity == "tanh" and torch.count_nonzero(rnn.bias_hh_l0) == 0


def test_dropout_and_builder_arguments() -> None:
    head = RecurrentHead(
        **H, depth=2, width=4, do=0.25, lookup_init=lookup_uniform_init, bn_class=nn.BatchNorm1d
    )
    assert head.rnn.dropout == 0.25 and head.rnn.batch_first


def test_stateful_returns_every_step() -> None:
    """lumin 0.9.1 fails to build this (range over the tuple out size); here it maps all outputs."""
    head = RecurrentHead(**H, depth=1, width=10, bidirectional=True, stateful=True)
    assert head.get_out_size() == (8, 20)
    assert head.feat_map["j0_px"] == list(range(160))
    mat = fixed_input(2, 8, 3)
    assert torch.equal(head(mat), head.rnn(mat)[0])
    assert RecurrentHead(**H, depth=1, width=10, stateful=True).get_out_size() == (8, 10)


@pytest.mark.parametrize("rnn", [nn.RNN, nn.LSTM, nn.GRU])
def test_final_state_option(rnn: type[nn.RNNBase]) -> None:
    mat = fixed_input(2, 8, 3)
    torch.manual_seed(1)
    uni = RecurrentHead(**H, depth=2, width=4, rnn=rnn)
    uni_final = RecurrentHead(**H, depth=2, width=4, rnn=rnn, final_state=True)
    uni_final.load_state_dict(uni.state_dict())
    assert torch.allclose(uni_final(mat), uni(mat), atol=1e-6)  # one direction: the same
    bi = RecurrentHead(**H, depth=2, width=4, rnn=rnn, bidirectional=True)
    bi_final = RecurrentHead(**H, depth=2, width=4, rnn=rnn, bidirectional=True, final_state=True)
    bi_final.load_state_dict(bi.state_dict())
    out = bi.rnn(mat)[0]
    y = bi_final(mat)
    assert torch.allclose(y[:, :4], out[:, -1, :4], atol=1e-6)  # forward: after the last object
    assert torch.allclose(y[:, 4:], out[:, 0, 4:], atol=1e-6)  # reverse: after the first object
    assert not torch.allclose(y, bi(mat))


def test_rnn_by_name_and_bad_name() -> None:
    assert isinstance(RecurrentHead(**H, depth=1, width=3, rnn="GRU").rnn, nn.GRU)
    with pytest.raises(ValueError, match="unknown rnn 'transformer'"):
        RecurrentHead(**H, depth=1, width=3, rnn="transformer")


def test_freeze() -> None:
    head = RecurrentHead(**H, depth=1, width=20, freeze=True)
    assert head.get_param_count() == 0 and head.get_param_count(trainable=False) == LUMIN["rnn_a"]["params"]
    head.unfreeze_layers()
    set_weights(head)
    assert head.get_param_count() == LUMIN["rnn_a"]["params"]


@pytest.mark.parametrize(("rnn", "cls"), [("lstm", nn.LSTM), ("torch.nn.GRU", nn.GRU)])
def test_from_a_yaml_style_config(rnn: str, cls: type[nn.RNNBase]) -> None:
    """RecurrentHead builds from plain data; ``rnn`` as a name or a class path."""
    from jsonargparse import ArgumentParser

    parser = ArgumentParser()
    parser.add_argument("--head", type=nn.Module)
    init_args = {**H, "depth": 1, "width": 4, "rnn": rnn, "bidirectional": True}
    cfg = parser.parse_object(
        {"head": {"class_path": "halite.nn.lumin.RecurrentHead", "init_args": init_args}}
    )
    head = parser.instantiate_classes(cfg).head
    assert isinstance(head.rnn, cls) and head.get_out_size() == 8
