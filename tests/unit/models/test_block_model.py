"""BlockModel builds lumin's blocks from YAML as lumin's ModelBuilder does: the type hints are the schema."""

from __future__ import annotations

from functools import partial

import pytest
import torch
import yaml
from jsonargparse import ArgumentParser

from halite.models.assembled import AssembledModel
from halite.models.block_model import BlockModel
from halite.nn import lumin
from halite.tasks.class_reg_multi import ClassRegMultiTask

VARIABLES = {"jets": ["pt", "eta", "n_tracks"], "tracks": ["pt", "eta", "phi", "d0"]}
NORM = {s: {v: {"mean": 0.0, "std": 1.0} for v in vs} for s, vs in VARIABLES.items()}

YAML = """
model:
  class_path: halite.models.block_model.BlockModel
  init_args:
    cat_embedder:
      class_path: halite.nn.lumin.CatEmbedder
      init_args: {cat_names: [n_tracks], cat_szs: [41], emb_szs: [3]}
    head:
      class_path: halite.nn.lumin.CatEmbHead
    matrix_head: null  # filled in per test
    matrix: {input_name: tracks, features: [pt, eta, phi], n_objects: 4, sort_by: pt}
    body:
      class_path: halite.nn.lumin.MultiBlock
      init_args:
        blocks:
          - {class_path: halite.nn.lumin.FullyConnected, init_args: {depth: 2, width: 8, res: true}}
          - {class_path: halite.nn.lumin.FullyConnected, init_args: {depth: 2, width: 4, dense: true}}
        feats_per_block: [[pt, eta, n_tracks], [tracks0_pt, tracks0_eta, tracks1_pt]]
        bottleneck_sz: 1
        bottleneck_act: swish
    tasks:
      - class_path: halite.tasks.class_reg_multi.ClassRegMultiTask
        init_args:
          name: flav
          input_name: jets
          label: flavour_label
          objective: multiclass
          endcap: {class_path: halite.nn.lumin.BTagDiscriminantEndcap, init_args: {fc: 0.1}}
          endcap_name: Db
      - class_path: halite.tasks.class_reg_multi.ClassRegMultiTask
        init_args: {name: ptr, input_name: jets, label: pt_truth, objective: regression, y_range: [0.0, 2.0]}
"""

MATRIX_HEADS = {
    "InteractionNet": {
        "intfunc_depth": 1,
        "intfunc_width": 4,
        "intfunc_out_sz": 3,
        "outfunc_depth": 1,
        "outfunc_width": 5,
        "outfunc_out_sz": 4,
        "agg_method": "flatten",
    },
    "RecurrentHead": {"depth": 1, "width": 6, "rnn": "gru", "bidirectional": True},
    "ConvHead": {"blocks": [{"out_c": 8}, {"kind": "res", "out_c": 8}], "pool": "avg"},
    "AutoExtractLorentzBoostNet": {"n_particles": 3, "depth": 1, "width": 4, "n_singles": 2, "n_pairs": 1},
}


def build(matrix_head: str, matrix: dict | None = None) -> BlockModel:
    cfg_dict = yaml.safe_load(YAML)
    model_args = cfg_dict["model"]["init_args"]
    model_args["matrix_head"] = {
        "class_path": f"halite.nn.lumin.{matrix_head}",
        "init_args": MATRIX_HEADS[matrix_head],
    }
    if matrix is not None:
        model_args["matrix"] = matrix
    model_args.update({"variables": VARIABLES, "norm_dict": NORM})
    parser = ArgumentParser()
    parser.add_argument("--model", type=AssembledModel)
    model = parser.instantiate(parser.parse_object(cfg_dict)).model
    assert isinstance(model, BlockModel)
    return model


def batch() -> tuple[dict, dict, dict]:
    torch.manual_seed(0)
    inputs = {"jets": torch.tensor([[50.0, 0.1, 7.0]] * 4), "tracks": torch.rand(4, 6, 4) * 10 + 0.5}
    masks = {"tracks": torch.arange(6)[None, :] >= torch.tensor([6, 2, 0, 4])[:, None]}
    labels = {"jets": {"flavour_label": torch.tensor([0, 1, 2, 0]), "pt_truth": torch.rand(4)}}
    return inputs, masks, labels


@pytest.mark.parametrize("matrix_head", sorted(MATRIX_HEADS))
def test_block_model_from_yaml_trains(matrix_head: str) -> None:
    matrix = None
    if "Lorentz" in matrix_head:
        matrix = {
            "input_name": "tracks",
            "features": ["pt", "eta", "phi"],
            "n_objects": 4,
            "momentum": "pt_eta_phi",
        }
    model = build(matrix_head, matrix)
    assert isinstance(model.head, lumin.MultiHead)
    assert isinstance(model.head.matrix_head, getattr(lumin, matrix_head))
    assert model.head.matrix_head.vecs == ["tracks0", "tracks1", "tracks2", "tracks3"]
    assert isinstance(model.body, lumin.MultiBlock)
    inputs, masks, labels = batch()
    outputs, losses = model(inputs, masks, labels)
    assert outputs["flav"].shape == (4, 3) and outputs["ptr"].shape == (4, 1)
    loss = model.total_loss(losses)
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.head.matrix_head.parameters()]
    assert grads and all(g is not None for g in grads)


def test_flat_head_sees_only_the_jet_features_and_padding_is_zero() -> None:
    model = build("RecurrentHead")
    assert model.head.flat_head.cont_feats == ["pt", "eta"]
    assert model.head.flat_head.cat_feats == ["n_tracks"]
    inputs, masks, _ = batch()
    matrix = model.matrix_input(inputs, masks)
    assert matrix.shape == (4, 4, 3)
    assert (matrix[2] == 0).all()  # no valid track
    assert (matrix[1, 2:] == 0).all()  # two valid tracks, zero-padded to four
    pts = matrix[0, :, 0]
    assert (pts[:-1] >= pts[1:]).all()  # sorted by pt, descending
    # the padded slots' values do not reach the output
    changed = {**inputs, "tracks": inputs["tracks"].masked_fill(masks["tracks"].unsqueeze(-1), 123.0)}
    model.eval()
    torch.testing.assert_close(model(changed, masks)[0]["flav"], model(inputs, masks)[0]["flav"])


def test_endcap_column_is_a_prediction() -> None:
    model = build("ConvHead")
    task = model.tasks[0]
    assert isinstance(task, ClassRegMultiTask)
    assert task.output_columns("m") == ["m_pb", "m_pc", "m_pu", "m_Db"]
    assert not any("endcap" in k or "model" in k for k in model.state_dict())  # no cycle, no keys
    inputs, masks, _ = batch()
    model.eval()
    out = model(inputs, masks)[0]["flav"]
    preds = task.predictions(out, "m")
    p = out.exp()
    expect = torch.log(p[:, 0] / (0.1 * p[:, 1] + 0.9 * p[:, 2]))
    torch.testing.assert_close(preds["m_Db"], expect, atol=1e-4, rtol=1e-4)  # the endcap adds 1e-10s
    torch.testing.assert_close(preds["m_pb"] + preds["m_pc"] + preds["m_pu"], torch.ones(4))


def test_flat_objects_are_lumins_own_matrix_layout() -> None:
    variables = {"jets": ["lep_px", "lep_py", "lep_E", "jet_px", "jet_py", "jet_E", "met"]}
    norm = {"jets": {v: {"mean": 0.0, "std": 1.0} for v in variables["jets"]}}
    task = ClassRegMultiTask("flav", "jets", "flavour_label")
    inet = partial(
        lumin.InteractionNet,
        intfunc_depth=1,
        intfunc_width=4,
        intfunc_out_sz=2,
        outfunc_depth=1,
        outfunc_width=4,
        outfunc_out_sz=2,
        agg_method="sum",
    )
    from halite.models.lumin_inputs import MatrixInputConfig

    matrix = MatrixInputConfig("jets", features=["px", "py", "pz", "E"], objects=["lep", "jet"])
    model = BlockModel([task], matrix_head=inet, matrix=matrix, variables=variables, norm_dict=norm)
    assert model.head.flat_head.cont_feats == ["met"]
    assert model.head.matrix_head.cont_feats == ["lep_px", "lep_py", "lep_E", "jet_px", "jet_py", "jet_E"]
    x = torch.arange(14.0).reshape(2, 7)
    mat = model.head.matrix_head._process_input(x[:, :6])
    assert mat.shape == (2, 4, 2)  # column-wise: features x objects; pz missing -> 0
    assert (mat[:, 2] == 0).all()
    assert model({"jets": x}, {})[0]["flav"].shape == (2, 3)


def test_python_partials_and_lumin_keywords() -> None:
    """BlockModel calls the blocks with the keywords lumin's ModelBuilder passes (lookup_init, freeze ...)."""
    task = ClassRegMultiTask("flav", "jets", "flavour_label")
    body = partial(lumin.FullyConnected, depth=2, width=8)
    model = BlockModel(
        [task],
        body=body,
        lookup_init=lumin.lookup_uniform_init,
        freeze_head=True,
        freeze_body=True,
        variables={"jets": ["pt", "eta"]},
        norm_dict={"jets": {"pt": {"mean": 1.0, "std": 2.0}, "eta": {"mean": 0.0, "std": 1.0}}},
    )
    assert isinstance(model.head, lumin.CatEmbHead) and model.head.lookup_init is lumin.lookup_uniform_init
    assert model.body.lookup_init is lumin.lookup_uniform_init
    assert not any(p.requires_grad for p in model.body.parameters())
    assert all(p.requires_grad for p in task.parameters())
    # the flat input is normalised inside the model: (pt - 1) / 2
    flat = model.flat_input({"jets": torch.tensor([[3.0, 0.5]])})
    torch.testing.assert_close(flat, torch.tensor([[1.0, 0.5]]))


def test_bad_inputs_name_the_key() -> None:
    task = ClassRegMultiTask("flav", "jets", "flavour_label")
    from halite.models.lumin_inputs import MatrixInputConfig

    kw = {"variables": VARIABLES, "norm_dict": NORM}
    with pytest.raises(ValueError, match=r"matrix_head needs `matrix`"):
        BlockModel([task], matrix_head=partial(lumin.RecurrentHead, depth=1, width=4), **kw)
    with pytest.raises(ValueError, match=r"matrix.features \['dz'\] are not in data.variables.tracks"):
        BlockModel(
            [task],
            matrix_head=partial(lumin.RecurrentHead, depth=1, width=4),
            matrix=MatrixInputConfig("tracks", features=["dz"]),
            **kw,
        )
    with pytest.raises(ValueError, match=r"matrix.momentum 'pt_eta_phi' needs 3 features"):
        BlockModel(
            [task],
            matrix_head=partial(lumin.LorentzBoostNet, n_particles=2),
            matrix=MatrixInputConfig("tracks", features=["pt", "eta", "phi", "d0"], momentum="pt_eta_phi"),
            **kw,
        )
    with pytest.raises(ValueError, match=r"lumin head features \['mass'\] are not in data.variables.jets"):
        BlockModel([task], cont_feats=["mass"], **kw)
