"""GlobalBackbone: a Model without encoder and pooling is a jet-level network (salt's DL1)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from halite.models.global_backbone import GlobalBackbone
from halite.models.model import Model
from halite.nn.layers.dense import DenseConfig
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.nn.sets.transformer import TransformerEncoder
from halite.tasks import ClassificationTask

NORM = {"jets": {"pt": {"mean": 50.0, "std": 10.0}, "eta": {"mean": 0.0, "std": 2.0}}}


def dl1(**kw: object) -> Model:
    torch.manual_seed(0)
    init = kw.pop("init_nets", [InitNetConfig("jets", DenseConfig([16], output_size=6), attach_global=False)])
    return Model(
        init,  # type: ignore[arg-type]
        tasks=[ClassificationTask("jets_classification", "jets", "flavour_label")],
        variables=kw.pop("variables", {"jets": ["pt", "eta"]}),  # type: ignore[arg-type]
        norm_dict=NORM,
        **kw,  # type: ignore[arg-type]
    )


def test_the_tasks_read_the_init_net_on_the_normalised_jet_variables() -> None:
    m = dl1().eval()
    assert isinstance(m.backbone, GlobalBackbone) and m.pooled_size == 6
    assert {k.split(".")[0] for k in m.state_dict()} == {"init_nets", "norms", "tasks"}
    jets = torch.tensor([[60.0, 1.0], [40.0, -2.0], [50.0, 0.0]])
    out, losses = m({"jets": jets}, {}, {"jets": {"flavour_label": torch.tensor([0, 1, 2])}})
    dense = m.init_nets["jets"].net
    expected = m.tasks[0](dense((jets - torch.tensor([50.0, 0.0])) / torch.tensor([10.0, 2.0])))
    torch.testing.assert_close(out["jets_classification"], expected)
    assert losses["jets_classification"].ndim == 0
    assert m.input_streams == ["jets"]


def test_global_features_are_concatenated_to_the_representation() -> None:
    m = dl1(variables={"jets": ["pt", "eta"], "GLOBAL": ["pt"]}).eval()
    assert m.pooled_size == 7 and m.tasks[0].net.input_size == 7
    jets = torch.randn(2, 2)
    out, _ = m({"jets": jets, "GLOBAL": jets[:, :1]}, {})
    rep = torch.cat([m.init_nets["jets"](m.norms["jets"](jets), None), m.norms["GLOBAL"](jets[:, :1])], -1)
    torch.testing.assert_close(out["jets_classification"], m.tasks[0](rep))


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"init_nets": [InitNetConfig("jets", DenseConfig(output_size=4))]}, "attach_global: false"),
        ({"init_nets": [InitNetConfig("jets", attach_global=False)]}, "dense_config.output_size"),
        ({"init_nets": [InitNetConfig("tracks", DenseConfig(output_size=4))]}, "exactly one init net"),
        ({"encoder": TransformerEncoder(8, 1, num_heads=2)}, "has a encoder but no pool_net"),
        ({"pool_net": GlobalAttentionPooling()}, "has a pool_net but no encoder"),
    ],
)
def test_what_a_jet_level_network_cannot_take_is_a_clear_error(kw: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        dl1(**kw)


def test_exports_with_parity(tmp_path: Path) -> None:
    """The jet-level network exports to ONNX (only the jet features as input) and matches PyTorch."""
    from halite.export.onnx import OnnxWrapper, export_onnx, parity_check
    from halite.training.module import LitModel

    wrapper = OnnxWrapper(LitModel(dl1(), name="DL1"))
    in_names, out_names = export_onnx(wrapper, tmp_path / "dl1.onnx")
    assert in_names == ["jet_features"] and out_names == ["DL1_pb", "DL1_pc", "DL1_pu"]
    result = parity_check(tmp_path / "dl1.onnx", wrapper, in_names, out_names, [], max_slots=0)
    assert result.worst < 1e-5 and result.num_random_jets == 3
