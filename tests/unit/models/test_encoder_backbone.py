"""EncoderBackbone runs its encoder through the declared ``SetEncoder`` capabilities only."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from halite.models.model import Model
from halite.nn import EdgeTransformerEncoder, TransformerEncoder
from halite.nn.layers.dense import DenseConfig
from halite.nn.layers.packing import Packing
from halite.nn.sets.base import SetEncoder
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.tasks import ClassificationTask

B, N, D = 3, 5, 8
ONE = {"mean": 0.0, "std": 1.0}
NORM = {"jets": {"a": ONE}, "tracks": {"pt": ONE, "eta": ONE}, "muons": {"m": ONE}}


def model(encoder: nn.Module, streams: tuple[str, ...] = ("tracks",)) -> Model:
    torch.manual_seed(0)
    variables = {"jets": ["a"], "tracks": ["pt", "eta"], "muons": ["m"]}
    return Model(
        [InitNetConfig(s, DenseConfig([D])) for s in streams],
        encoder,  # type: ignore[arg-type]
        GlobalAttentionPooling(),
        [
            ClassificationTask("j", "jets", "flavour_label"),
            ClassificationTask("t", "tracks", "ftagTruthOriginLabel"),
        ],
        variables={k: v for k, v in variables.items() if k == "jets" or k in streams},
        norm_dict=NORM,
    )


def batch() -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    lengths = torch.tensor([5, 0, 2])
    mask = torch.arange(N)[None] >= lengths[:, None]
    inputs = {"jets": torch.randn(B, 1), "tracks": torch.randn(B, N, 2), "muons": torch.randn(B, N, 1)}
    return inputs, {"tracks": mask, "muons": mask.clone()}


class Recording(SetEncoder):
    """A per-constituent linear map that records which entry point the backbone called."""

    supports_packing = True

    def __init__(self, packed: bool) -> None:
        super().__init__()
        self.embed_dim = self.out_features = D
        self.packed = packed
        self.linear = nn.Linear(D, D)
        self.calls: list[str] = []

    def forward(self, x: Tensor, pad_mask: Tensor | None = None) -> Tensor:
        self.calls.append("forward")
        return self.linear(x)

    def forward_packed(self, x: Tensor, packing: Packing) -> Tensor:
        self.calls.append("forward_packed")
        return self.linear(x)


def test_an_encoder_that_is_not_a_set_encoder_is_a_clear_error() -> None:
    class Foreign(nn.Module):
        embed_dim = out_features = D

        def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
            return x

    with pytest.raises(
        TypeError, match=r"encoder .*\.Foreign is not a set encoder.*subclass halite\.nn\.SetEncoder"
    ):
        model(Foreign())


def test_packing_follows_the_declared_flag_and_the_packed_option() -> None:
    inputs, masks = batch()
    outs = {}
    for packed in (True, False):
        torch.manual_seed(1)
        enc = Recording(packed)
        out, _ = model(enc)(inputs, masks)
        assert enc.calls == (["forward_packed"] if packed else ["forward"])
        outs[packed] = out["t"][~masks["tracks"]]
    torch.testing.assert_close(outs[True], outs[False], atol=1e-6, rtol=1e-6)


def test_a_multi_stream_encoder_without_input_names_is_an_error() -> None:
    class NoNames(Recording):
        multi_stream = True

    with pytest.raises(ValueError, match=r"NoNames declares multi_stream = True but its input_names is None"):
        model(NoNames(False), streams=("tracks", "muons"))


def test_an_edge_encoder_needs_edge_features() -> None:
    with pytest.raises(ValueError, match=r"EdgeTransformerEncoder uses edge features .*add `edge_features`"):
        model(EdgeTransformerEncoder(D, 1, num_heads=2))


def test_a_single_stream_encoder_gets_several_streams_concatenated() -> None:
    enc = TransformerEncoder(D, 1, num_heads=2)
    assert not enc.multi_stream
    inputs, masks = batch()
    m = model(enc, streams=("tracks", "muons"))
    out, _ = m(inputs, masks)
    assert out["t"].shape[:2] == (B, N)
    inputs["muons"] = inputs["muons"] + 3.0  # muons reach the tracks through the shared attention
    out2, _ = m(inputs, masks)
    assert not torch.allclose(out["t"][0], out2["t"][0])
