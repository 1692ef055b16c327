"""Block models are built from YAML: the type hints are the schema."""

from __future__ import annotations

import pytest
import torch
import yaml
from jsonargparse import ArgumentParser

from halite.models.assembled import AssembledModel
from halite.models.block_model import BlockModel

VARIABLES = {"jets": ["pt", "eta", "n_tracks"], "tracks": ["pt", "eta", "phi", "d0"]}
NORM = {s: {v: {"mean": 0.0, "std": 1.0} for v in vs} for s, vs in VARIABLES.items()}

YAML = """
model:
  class_path: halite.models.block_model.BlockModel
  init_args:
    head:
      class_path: halite.nn.lumin_legacy.heads.MultiHead
      init_args:
        flat_head:
          class_path: halite.nn.lumin_legacy.heads.CatEmbHead
          init_args:
            cat_embedder:
              class_path: halite.nn.lumin_legacy.heads.CatEmbedder
              init_args: {cardinalities: {n_tracks: 41}, emb_sizes: {n_tracks: 3}}
        matrix_head: null  # filled in per test
    body:
      class_path: halite.nn.lumin_legacy.body.MultiBlock
      init_args:
        blocks:
          - {class_path: halite.nn.lumin_legacy.body.FullyConnected, init_args: {depth: 2, width: 8, res: true}}
          - {class_path: halite.nn.lumin_legacy.body.FullyConnected, init_args: {depth: 2, width: 4, dense: true}}
        feats_per_block: [[pt, eta, n_tracks], [tracks]]
        bottleneck_sz: 1
        bottleneck_act: swish
    tasks:
      - class_path: halite.tasks.class_reg_multi.ClassRegMultiTask
        init_args: {name: flav, input_name: jets, label: flavour_label, objective: multiclass}
      - class_path: halite.tasks.class_reg_multi.ClassRegMultiTask
        init_args: {name: ptr, input_name: jets, label: pt_truth, objective: regression, y_range: [0.0, 2.0]}
"""

LBN = {"n_particles": 3, "momentum_format": "pt_eta_phi", "mass": 0.14}
HEADS = {
    "conv.ConvHead": (True, {"channels": [8, 8]}),
    "interaction.InteractionNet": (True, {"agg_method": "flatten"}),
    "lorentz.LorentzBoostNet": (False, LBN),
    "lorentz.AutoExtractLorentzBoostNet": (False, {**LBN, "n_singles": 2}),
}


@pytest.mark.parametrize("head", sorted(HEADS))
def test_block_model_from_yaml(head: str) -> None:
    normalise, init_args = HEADS[head]
    matrix = {"input_name": "tracks", "features": ["pt", "eta", "phi"], "n_objects": 4, "sort_by": "pt"}
    cfg_dict = yaml.safe_load(YAML)
    model_args = cfg_dict["model"]["init_args"]
    model_args["head"]["init_args"]["matrix_head"] = {
        "class_path": f"halite.nn.lumin_legacy.{head}",
        "init_args": {**init_args, "matrix": {**matrix, "normalise": normalise}},
    }
    model_args.update({"variables": VARIABLES, "norm_dict": NORM})
    parser = ArgumentParser()
    parser.add_argument("--model", type=AssembledModel)
    cfg = parser.parse_object(cfg_dict)
    model = parser.instantiate_classes(cfg).model
    assert isinstance(model, BlockModel)
    inputs = {"jets": torch.tensor([[50.0, 0.1, 7.0]] * 4), "tracks": torch.rand(4, 6, 4) * 10 + 0.5}
    masks = {"tracks": torch.arange(6)[None, :] >= torch.tensor([6, 2, 0, 4])[:, None]}
    labels = {"jets": {"flavour_label": torch.tensor([0, 1, 2, 0]), "pt_truth": torch.rand(4)}}
    outputs, losses = model(inputs, masks, labels)
    assert outputs["flav"].shape == (4, 3) and outputs["ptr"].shape == (4, 1)
    loss = model.total_loss(losses)
    assert torch.isfinite(loss)
    loss.backward()
