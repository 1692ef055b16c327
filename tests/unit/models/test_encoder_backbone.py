"""EncoderBackbone runs its encoder through the declared ``SetEncoder`` capabilities only."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import Tensor, nn

from halite.data.parameters import ParameterConfig
from halite.models.model import Model
from halite.nn import EdgeTransformerEncoder, TransformerEncoder
from halite.nn.layers.dense import DenseConfig
from halite.nn.layers.featurewise import FeaturewiseConfig
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


PARAMS = {"mass": ParameterConfig(train=[20.0, 40.0], test=30.0)}


def film_model(layers: list[str], encoder: nn.Module | None = None) -> Model:
    torch.manual_seed(0)
    fws = [FeaturewiseConfig(layer, DenseConfig([4]), DenseConfig([4]), form="salt") for layer in layers]  # type: ignore[arg-type]
    return Model(
        [InitNetConfig("tracks", DenseConfig([D]))],
        encoder or TransformerEncoder(D, 2, num_heads=2, num_registers=2, drop_registers=False),  # type: ignore[arg-type]
        GlobalAttentionPooling(),
        [
            ClassificationTask("j", "jets", "flavour_label"),
            ClassificationTask("t", "tracks", "ftagTruthOriginLabel"),
        ],
        variables={"jets": ["a"], "tracks": ["pt", "eta"], "PARAMETERS": ["mass"]},
        norm_dict=NORM,
        featurewise_nets=fws,
        parameters=PARAMS,
    )


def film_batch() -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    inputs, masks = batch()
    inputs["PARAMETERS"] = torch.tensor([[20.0], [40.0], [30.0]])
    return inputs, {"tracks": masks["tracks"]}


@pytest.mark.parametrize("packed", [True, False])
def test_salt_style_film_and_kept_registers_equal_the_computation_by_hand(packed: bool) -> None:
    """``input_with_global`` FiLMs [tracks, jets] before the init net, ``encoder_layers`` the tokens
    (registers included) before every block, ``encoder`` the output; the pooling reads
    [constituents, registers]; per-track tasks read the constituents only."""
    m = film_model(["input_with_global", "encoder_layers", "encoder"]).eval()
    m.packed = packed
    m.encoder.packed = packed
    with torch.no_grad():
        for p in m.encoder.registers, *m.featurewise.parameters():
            p.normal_()  # make every FiLM and the registers visible
    assert sorted(m.featurewise) == ["0_inputglobal_tracks", "1_layers", "2_encoder"]
    assert (
        len(m.featurewise["1_layers"]) == 2 and m.featurewise["0_inputglobal_tracks"].scale.out_features == 3
    )
    inputs, masks = film_batch()
    mask = masks["tracks"]
    with torch.no_grad():
        out, _ = m(inputs, masks)
        c = m.norms["PARAMETERS"](inputs["PARAMETERS"])
        glob = m.norms["jets"](inputs["jets"])
        x = torch.cat([m.norms["tracks"](inputs["tracks"]), glob[:, None].expand(-1, N, -1)], dim=-1)
        x = m.featurewise["0_inputglobal_tracks"](x, c)
        x = m.init_nets["tracks"].net.net(x)  # the init net's layers on [tracks, jets] (FiLMed)
        enc = m.encoder
        h = torch.cat([x, enc.registers.expand(B, -1, -1)], dim=1)
        full = torch.cat([mask, torch.zeros(B, 2, dtype=torch.bool)], dim=1)
        from halite.nn.layers.attention import key_mask_for_attention

        for i, layer in enumerate(enc.layers):
            h = layer(m.featurewise["1_layers"][i](h, c), key_mask_for_attention(full))
        h = m.featurewise["2_encoder"](enc.project(h), c)
        pooled = m.pool_net(h, full)
        torch.testing.assert_close(out["j"], m.tasks[0](pooled), atol=1e-5, rtol=1e-5)
        per_track = m.tasks[1](h[:, :N], context=pooled)
        assert out["t"].shape[1] == N
        torch.testing.assert_close(out["t"][~mask], per_track[~mask], atol=1e-5, rtol=1e-5)


def test_kept_registers_are_pooled_on_the_packed_fast_path() -> None:
    """Without FiLM, one stream packed: pooled = pooling over [constituents, registers]."""
    torch.manual_seed(0)
    enc = TransformerEncoder(D, 1, num_heads=2, num_registers=2, drop_registers=False)
    m = model(enc).eval()
    with torch.no_grad():
        enc.registers.normal_()
    inputs, masks = batch()
    mask = masks["tracks"]
    with torch.no_grad():
        out, _ = m(inputs, {"tracks": mask})
        glob = m.norms["jets"](inputs["jets"])
        x = m.init_nets["tracks"](m.norms["tracks"](inputs["tracks"]), glob)
        h = enc(x, mask)
        pooled = m.pool_net(h, torch.cat([mask, torch.zeros(B, 2, dtype=torch.bool)], dim=1))
        torch.testing.assert_close(out["j"], m.tasks[0](pooled), atol=1e-5, rtol=1e-5)
        assert out["t"].shape == (B, N, 8)  # the track task never sees the registers
        dropped = model(TransformerEncoder(D, 1, num_heads=2, num_registers=2)).eval()
        dropped.load_state_dict(m.state_dict())
        assert not torch.allclose(dropped(inputs, {"tracks": mask})[0]["j"], out["j"], atol=1e-4)


def test_per_layer_film_needs_an_encoder_taking_a_layer_hook() -> None:
    with pytest.raises(
        ValueError, match=r"featurewise_nets\[0\] \(layer=encoder_layers.*supports_layer_hook"
    ):
        film_model(["encoder_layers"], encoder=Recording(packed=False))


def test_kept_registers_export_with_parity_down_to_jets_without_tracks(tmp_path: Path) -> None:
    from halite.export.onnx import OnnxWrapper, export_onnx, parity_check
    from halite.training.module import LitModel

    m = model(TransformerEncoder(D, 1, num_heads=2, num_registers=2, drop_registers=False))
    with torch.no_grad():
        m.encoder.registers.normal_()
    wrapper = OnnxWrapper(LitModel(m, name="GN"))
    in_names, out_names = export_onnx(wrapper, tmp_path / "gn.onnx")
    result = parity_check(tmp_path / "gn.onnx", wrapper, in_names, out_names, [], max_slots=4)
    assert result.worst < 1e-5 and result.num_random_jets == 15
