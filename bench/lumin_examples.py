"""Every documented example of lumin 0.9.1's model blocks, written once for lumin and for halite.

Each example is a function of a namespace ``L`` holding the block names (``L.FullyConnected``,
``L.CatEmbedder``, ``L.lookup_uniform_init``, ``L.nn`` ...) and returns ``(block, input)``.
``bench/vs_lumin_worker.py`` calls them with a namespace of lumin's own modules, ``bench/vs_lumin.py``
with ``halite.nn.lumin``: the same source text builds both, so a lumin call runs unchanged in halite.
The calls are the ``Examples::`` of lumin 0.9.1's documentation of ``lumin.nn.models.blocks``
(``/work/shared/seeds/003_68c6d0e164cda3b2.txt``), with the names they use bound to the small fixed
data below. Where a documented call does not build in lumin 0.9.1 (a doc typo or an argument the code
does not take), the example holds the intended call and ``DOCUMENTED`` holds the call as written, so
the bench can report what the documented form does on each side.

Imports only the standard library, numpy and torch at module level (pandas inside the fake fold
yielder): lumin's environment, halite's and the unit tests all load it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch import Tensor

Example = Callable[[Any], tuple[Any, Any]]

#: batch size of every example input
BATCH = 8

# ----------------------------------------------------------------------------- fixed data
#: 32 columnar features, named like HiggsML's (12 derived, 20 primary): FullyConnected and MultiBlock
train_feats = [f"DER_f{i}" for i in range(12)] + [f"PRI_f{i}" for i in range(20)]
#: what ``head.feat_map`` is in the examples: the map of a ``CatEmbHead(cont_feats=train_feats)``
head = SimpleNamespace(feat_map={f: [i] for i, f in enumerate(train_feats)})
#: continuous columnar features of the embedding heads
cont_feats = [f"cont_{i}" for i in range(6)]
#: categorical features of the fake fold yielder and their cardinalities (max value + 1 over the folds)
CAT_FEATS = {"n_jets": 5, "channel": 3}
#: objects and per-object features of the matrix heads (four-momenta, lumin's (px, py, pz, E) order)
vecs = ["j0", "j1", "j2", "l0", "l1"]
feats_per_vec = ["px", "py", "pz", "E"]
#: matrix features present in the flat data: all but ``l1_pz`` (lumin sets a missing one to zero)
matrix_feats = [f"{v}_{c}" for v in vecs for c in feats_per_vec if f"{v}_{c}" != "l1_pz"]
#: objects and features of the AbsConv1dHead examples (their first convolution takes 3 channels)
CONV_VECS = [f"c{i}" for i in range(8)]
CONV_FEATS_PER_VEC = ["pt", "eta", "phi"]
CONV_MATRIX_FEATS = [f"{v}_{c}" for v in CONV_VECS for c in CONV_FEATS_PER_VEC]
#: regression targets of the ClassRegMulti examples: 6 columns, three positive, three of mixed sign
targets = np.stack(
    [np.sin(np.arange(50) * 0.37 + k) * (1 + k) + (3.0 * (1 + k) if k < 3 else 0.0) for k in range(6)], axis=1
).astype("float32")


def fixed_input(*shape: int) -> Tensor:
    """``sin(0.3 * i)`` over the elements, reshaped to ``shape`` (float32; tests/unit/nn/lumin/weights.py's)."""
    n = 1
    for s in shape:
        n *= s
    return torch.sin(torch.arange(n, dtype=torch.float32) * 0.3).reshape(*shape)


def four_momenta(batch: int, n_v: int, mass: float = 1.0) -> Tensor:
    """Physical (px, py, pz, E) per object, ``(batch, n_v, 4)``: momenta from ``fixed_input``, E = sqrt(p^2 + m^2)."""
    p = 3.0 * fixed_input(batch, n_v, 3)
    e = torch.sqrt((p**2).sum(-1, keepdim=True) + mass**2)
    return torch.cat((p, e), -1)


def matrix_input(batch: int = BATCH) -> Tensor:
    """Flat ``(batch, len(matrix_feats))`` input of the four-momentum matrix heads, ``matrix_feats`` order."""
    mom = four_momenta(batch, len(vecs))
    cols = [mom[:, vecs.index(f.split("_")[0]), feats_per_vec.index(f.split("_")[1])] for f in matrix_feats]
    return torch.stack(cols, 1)


def cat_columns(batch: int = BATCH) -> Tensor:
    """Categorical columns (integers as floats, within each cardinality), ``(batch, len(CAT_FEATS))``."""
    i = torch.arange(batch)
    return torch.stack([((i * (3 + k)) % sz).float() for k, sz in enumerate(CAT_FEATS.values())], 1)


class FakeFoldYielder:
    """The part of lumin's ``FoldYielder`` that ``CatEmbedder.from_fy`` reads: two folds of categorical data.

    ``get_use_cat_feats()`` names the categorical features; ``len()`` counts the folds;
    ``get_df(n_folds=1, fold_idx=i, inc_inputs=True, ...)`` gives fold ``i`` as a DataFrame. Fold 0
    holds every category but the largest of each feature, fold 1 holds the largest: the cardinalities
    (``max + 1`` over all folds) are ``CAT_FEATS``'s only when every fold is read.
    """

    def __init__(self, cats: dict[str, int] = CAT_FEATS) -> None:
        self.cats = cats

    def get_use_cat_feats(self) -> list[str]:
        """Names of the categorical features, in input order."""
        return list(self.cats)

    def __len__(self) -> int:
        return 2

    def get_df(self, n_folds: int = 1, fold_idx: int = 0, inc_inputs: bool = True, **kwargs: Any) -> Any:
        """Fold ``fold_idx``'s categorical columns (pandas DataFrame; the other arguments as lumin passes them)."""
        import pandas as pd

        cols = {}
        for name, sz in self.cats.items():
            cols[name] = np.arange(12) % (sz - 1) if fold_idx == 0 else np.full(12, sz - 1)
        return pd.DataFrame(cols)


train_fy = FakeFoldYielder()


# ----------------------------------------------------------------------------- body
def fully_connected_1(L: Any) -> tuple[Any, Tensor]:
    body = L.FullyConnected(n_in=32, feat_map=head.feat_map, depth=4, width=100, act="relu")
    return body, fixed_input(BATCH, 32)


def fully_connected_2(L: Any) -> tuple[Any, Tensor]:
    body = L.FullyConnected(n_in=32, feat_map=head.feat_map, depth=4, width=200, act="relu", growth_rate=0.3)
    return body, fixed_input(BATCH, 32)


def fully_connected_3(L: Any) -> tuple[Any, Tensor]:
    body = L.FullyConnected(
        n_in=32, feat_map=head.feat_map, depth=4, width=100, act="swish", do=0.1, res=True
    )
    return body, fixed_input(BATCH, 32)


def fully_connected_4(L: Any) -> tuple[Any, Tensor]:
    body = L.FullyConnected(
        n_in=32, feat_map=head.feat_map, depth=6, width=32, act="selu", dense=True, growth_rate=0.5
    )
    return body, fixed_input(BATCH, 32)


def fully_connected_5(L: Any) -> tuple[Any, Tensor]:
    body = L.FullyConnected(
        n_in=32,
        feat_map=head.feat_map,
        depth=6,
        width=50,
        act="prelu",
        bn=True,
        lookup_init=L.lookup_uniform_init,
    )
    return body, fixed_input(BATCH, 32)


def _multi_block(L: Any, **kw: Any) -> tuple[Any, Tensor]:
    # n_in and feat_map are what lumin's ModelBuilder passes a body; the examples leave them out
    body = L.MultiBlock(
        n_in=32,
        feat_map=head.feat_map,
        blocks=[
            partial(L.FullyConnected, depth=1, width=50, act="swish"),
            partial(L.FullyConnected, depth=6, width=55, act="swish", dense=True, growth_rate=0.1),
        ],
        feats_per_block=[[f for f in train_feats if "DER_" in f], [f for f in train_feats if "PRI_" in f]],
        **kw,
    )
    return body, fixed_input(BATCH, 32)


def multi_block_1(L: Any) -> tuple[Any, Tensor]:
    return _multi_block(L)


def multi_block_2(L: Any) -> tuple[Any, Tensor]:
    # documented with bottleneck=True; lumin 0.9.1's MultiBlock takes bottleneck_sz (the single neuron: 1)
    return _multi_block(L, bottleneck_sz=1)


def multi_block_3(L: Any) -> tuple[Any, Tensor]:
    # documented with bottleneck=True, bottleneck_act='swish'; lumin 0.9.1 takes bottleneck_sz
    return _multi_block(L, bottleneck_sz=1, bottleneck_act="swish")


# ----------------------------------------------------------------------------- conv blocks
def conv1d_block_1(L: Any) -> tuple[Any, Tensor]:
    return L.Conv1DBlock(in_c=3, out_c=16, kernel_sz=3), fixed_input(BATCH, 3, 10)


def conv1d_block_2(L: Any) -> tuple[Any, Tensor]:
    return L.Conv1DBlock(in_c=16, out_c=32, kernel_sz=3, stride=2), fixed_input(BATCH, 16, 10)


def conv1d_block_3(L: Any) -> tuple[Any, Tensor]:
    return L.Conv1DBlock(in_c=3, out_c=16, kernel_sz=3, act="swish", bn=True), fixed_input(BATCH, 3, 10)


def res1d_block_1(L: Any) -> tuple[Any, Tensor]:
    return L.Res1DBlock(in_c=16, out_c=16, kernel_sz=3), fixed_input(BATCH, 16, 10)


def res1d_block_2(L: Any) -> tuple[Any, Tensor]:
    return L.Res1DBlock(in_c=16, out_c=32, kernel_sz=3, stride=2), fixed_input(BATCH, 16, 10)


def res1d_block_3(L: Any) -> tuple[Any, Tensor]:
    return L.Res1DBlock(in_c=16, out_c=16, kernel_sz=3, act="swish", bn=True), fixed_input(BATCH, 16, 10)


def resnext1d_block_1(L: Any) -> tuple[Any, Tensor]:
    return L.ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3), fixed_input(
        BATCH, 32, 10
    )


def resnext1d_block_2(L: Any) -> tuple[Any, Tensor]:
    block = L.ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3, stride=2)
    return block, fixed_input(BATCH, 32, 10)


def resnext1d_block_3(L: Any) -> tuple[Any, Tensor]:
    block = L.ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3, act="swish", bn=True)
    return block, fixed_input(BATCH, 32, 10)


# ----------------------------------------------------------------------------- heads
def cat_emb_input() -> Tensor:
    """Continuous columns then categorical ones, as CatEmbHead reads them."""
    return torch.cat((fixed_input(BATCH, len(cont_feats)), cat_columns()), 1)


def cat_emb_head_1(L: Any) -> tuple[Any, Tensor]:
    return L.CatEmbHead(cont_feats=cont_feats), fixed_input(BATCH, len(cont_feats))


def cat_emb_head_2(L: Any) -> tuple[Any, Tensor]:
    return L.CatEmbHead(cont_feats=cont_feats, cat_embedder=L.CatEmbedder.from_fy(train_fy)), cat_emb_input()


def cat_emb_head_3(L: Any) -> tuple[Any, Tensor]:
    head = L.CatEmbHead(
        cont_feats=cont_feats, cat_embedder=L.CatEmbedder.from_fy(train_fy), do_cont=0.1, do_cat=0.05
    )
    return head, cat_emb_input()


def cat_emb_head_4(L: Any) -> tuple[Any, Tensor]:
    head = L.CatEmbHead(
        cont_feats=cont_feats, cat_embedder=L.CatEmbedder.from_fy(train_fy), lookup_init=L.lookup_uniform_init
    )
    return head, cat_emb_input()


def multi_head_1(L: Any) -> tuple[Any, Tensor]:
    inet = partial(
        L.InteractionNet, intfunc_depth=2, intfunc_width=4, intfunc_out_sz=3,
        outfunc_depth=2, outfunc_width=5, outfunc_out_sz=4, agg_method="flatten",
        feats_per_vec=feats_per_vec, vecs=vecs, act="swish",
    )  # fmt: skip
    multihead = L.MultiHead(
        cont_feats=cont_feats + matrix_feats, matrix_head=inet, cat_embedder=L.CatEmbedder.from_fy(train_fy)
    )
    # flat input in MultiHead's feature order: cont_feats + matrix_feats, then the categorical features
    return multihead, torch.cat((fixed_input(BATCH, len(cont_feats)), matrix_input(), cat_columns()), 1)


def interaction_net_1(L: Any) -> tuple[Any, Tensor]:
    inet = L.InteractionNet(
        cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs,
        intfunc_depth=2, intfunc_width=4, intfunc_out_sz=3,
        outfunc_depth=2, outfunc_width=5, outfunc_out_sz=4, agg_method="flatten",
    )  # fmt: skip
    return inet, matrix_input()


def interaction_net_2(L: Any) -> tuple[Any, Tensor]:
    inet = L.InteractionNet(
        cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs,
        intfunc_depth=2, intfunc_width=4, intfunc_out_sz=6,
        outfunc_depth=2, outfunc_width=5, outfunc_out_sz=8, agg_method="sum",
    )  # fmt: skip
    return inet, matrix_input()


def interaction_net_3(L: Any) -> tuple[Any, Tensor]:
    inet = L.InteractionNet(
        cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs,
        intfunc_depth=3, intfunc_width=4, intfunc_out_sz=3,
        outfunc_depth=3, outfunc_width=5, outfunc_out_sz=4, agg_method="flatten",
        do=0.1, bn=True, act="swish", lookup_init=L.lookup_uniform_init,
    )  # fmt: skip
    return inet, matrix_input()


def recurrent_head_1(L: Any) -> tuple[Any, Tensor]:
    rnn = L.RecurrentHead(cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs, depth=1, width=20)
    return rnn, matrix_input()


def recurrent_head_2(L: Any) -> tuple[Any, Tensor]:
    rnn = L.RecurrentHead(
        cont_feats=matrix_feats,
        feats_per_vec=feats_per_vec,
        vecs=vecs,
        depth=2,
        width=10,
        act="relu",
        bidirectional=True,
    )
    return rnn, matrix_input()


def recurrent_head_3(L: Any) -> tuple[Any, Tensor]:
    lstm = L.RecurrentHead(
        cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs, depth=1, width=10, rnn=L.nn.LSTM
    )
    return lstm, matrix_input()


def recurrent_head_4(L: Any) -> tuple[Any, Tensor]:
    gru = L.RecurrentHead(
        cont_feats=matrix_feats,
        feats_per_vec=feats_per_vec,
        vecs=vecs,
        depth=3,
        width=10,
        rnn=L.nn.GRU,
        bidirectional=True,
    )
    return gru, matrix_input()


def conv_input() -> Tensor:
    return fixed_input(BATCH, len(CONV_MATRIX_FEATS))


def abs_conv1d_head_1(L: Any) -> tuple[Any, Tensor]:
    nn = L.nn
    AbsConv1dHead: Any = L.AbsConv1dHead
    matrix_feats, vectors, feats_per_vec = CONV_MATRIX_FEATS, CONV_VECS, CONV_FEATS_PER_VEC

    class MyCNN(AbsConv1dHead):
        def get_layers(self, act: str = "relu", bn: bool = False, **kargs: Any) -> Any:
            layers = []
            layers.append(self.get_conv1d_block(3, 16, stride=1, kernel_sz=3, act=act, bn=bn))
            layers.append(self.get_conv1d_block(16, 16, stride=1, kernel_sz=3, act=act, bn=bn))
            layers.append(self.get_conv1d_block(16, 32, stride=2, kernel_sz=3, act=act, bn=bn))
            layers.append(self.get_conv1d_block(32, 32, stride=1, kernel_sz=3, act=act, bn=bn))
            layers.append(nn.AdaptiveAvgPool1d(1))
            layers = nn.Sequential(*layers)
            return layers

    cnn = MyCNN(cont_feats=matrix_feats, vecs=vectors, feats_per_vec=feats_per_vec)
    return cnn, conv_input()


def abs_conv1d_head_2(L: Any) -> tuple[Any, Tensor]:
    nn = L.nn
    AbsConv1dHead: Any = L.AbsConv1dHead
    matrix_feats, vectors, feats_per_vec = CONV_MATRIX_FEATS, CONV_VECS, CONV_FEATS_PER_VEC

    class MyResNet(AbsConv1dHead):
        def get_layers(self, act: str = "relu", bn: bool = False, **kargs: Any) -> Any:
            layers = []
            layers.append(self.get_conv1d_block(3, 16, stride=1, kernel_sz=3, act="linear", bn=False))
            layers.append(self.get_conv1d_res_block(16, 16, stride=1, kernel_sz=3, act=act, bn=bn))
            layers.append(self.get_conv1d_res_block(16, 32, stride=2, kernel_sz=3, act=act, bn=bn))
            layers.append(self.get_conv1d_res_block(32, 32, stride=1, kernel_sz=3, act=act, bn=bn))
            layers.append(nn.AdaptiveAvgPool1d(1))
            layers = nn.Sequential(*layers)
            return layers

    cnn = MyResNet(cont_feats=matrix_feats, vecs=vectors, feats_per_vec=feats_per_vec)
    return cnn, conv_input()


def abs_conv1d_head_3(L: Any) -> tuple[Any, Tensor]:
    nn = L.nn
    AbsConv1dHead: Any = L.AbsConv1dHead
    matrix_feats, vectors, feats_per_vec = CONV_MATRIX_FEATS, CONV_VECS, CONV_FEATS_PER_VEC

    class MyResNeXt(AbsConv1dHead):
        def get_layers(self, act: str = "relu", bn: bool = False, **kargs: Any) -> Any:
            layers = []
            layers.append(self.get_conv1d_block(3, 32, stride=1, kernel_sz=3, act="linear", bn=False))
            layers.append(self.get_conv1d_resNeXt_block(32, 4, 4, 32, stride=1, kernel_sz=3, act=act, bn=bn))
            layers.append(self.get_conv1d_resNeXt_block(32, 4, 4, 32, stride=2, kernel_sz=3, act=act, bn=bn))
            layers.append(self.get_conv1d_resNeXt_block(32, 4, 4, 32, stride=1, kernel_sz=3, act=act, bn=bn))
            layers.append(nn.AdaptiveAvgPool1d(1))
            layers = nn.Sequential(*layers)
            return layers

    cnn = MyResNeXt(cont_feats=matrix_feats, vecs=vectors, feats_per_vec=feats_per_vec)
    return cnn, conv_input()


def lorentz_boost_net_1(L: Any) -> tuple[Any, Tensor]:
    lbn = L.LorentzBoostNet(cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs, n_particles=6)
    return lbn, matrix_input()


# Return masses of boosted particles, x dimensions = [batch,particle,4-mom]
def feat_extractor(x: Tensor) -> Tensor:
    momenta, energies = x[:, :, :3], x[:, :, 3:]
    mass = torch.sqrt((energies**2) - torch.sum(momenta**2, dim=-1)[:, :, None])
    return mass.squeeze(-1)  # [batch, particle]: the documented extractor returns mass, [batch, particle, 1]


def lorentz_boost_net_2(L: Any) -> tuple[Any, Tensor]:
    # documented as ``lbn = InteractionNet(..., n_particle=6, feat_extractor=feat_extractor)``: the intended
    # call is LorentzBoostNet with n_particles. The seed's copy of the mass formula lost its minus signs
    # (lumin's source: ``(energies**2)-torch.sum(momenta**2, dim=-1)``), and the documented extractor
    # returns [batch, particle, 1] where LorentzBoostNet.feat_extractor returns [batch, features]: lumin
    # 0.9.1 then sizes its BatchNorm1d (bn=True by default) from the last dimension, 1, and the forward
    # fails. Here the extractor returns [batch, particle] (DOCUMENTED holds both documented forms)
    lbn = L.LorentzBoostNet(
        cont_feats=matrix_feats,
        feats_per_vec=feats_per_vec,
        vecs=vecs,
        n_particles=6,
        feat_extractor=feat_extractor,
    )
    return lbn, matrix_input()


def auto_extract_lorentz_boost_net_1(L: Any) -> tuple[Any, Tensor]:
    aelbn = L.AutoExtractLorentzBoostNet(
        cont_feats=matrix_feats,
        feats_per_vec=feats_per_vec,
        vecs=vecs,
        n_particles=6,
        depth=3,
        width=10,
        n_singles=3,
        n_pairs=2,
    )
    return aelbn, matrix_input()


# ----------------------------------------------------------------------------- tail, endcap
def class_reg_multi_1(L: Any) -> tuple[Any, Tensor]:
    return L.ClassRegMulti(n_in=100, n_out=1, objective="classification"), fixed_input(BATCH, 100)


def class_reg_multi_2(L: Any) -> tuple[Any, Tensor]:
    return L.ClassRegMulti(n_in=100, n_out=5, objective="multiclass"), fixed_input(BATCH, 100)


def class_reg_multi_3(L: Any) -> tuple[Any, Tensor]:
    y_range = (0.8 * targets.min(), 1.2 * targets.max())
    tail = L.ClassRegMulti(n_in=100, n_out=1, objective="regression", y_range=y_range)
    return tail, fixed_input(BATCH, 100)


def class_reg_multi_4(L: Any) -> tuple[Any, Tensor]:
    min_targs = np.min(targets, axis=0).reshape(targets.shape[1], 1)
    max_targs = np.max(targets, axis=0).reshape(targets.shape[1], 1)
    min_targs[min_targs > 0] *= 0.8
    min_targs[min_targs < 0] *= 1.2
    max_targs[max_targs > 0] *= 1.2
    max_targs[max_targs < 0] *= 0.8
    y_range = np.hstack((min_targs, max_targs))
    tail = L.ClassRegMulti(
        n_in=100, n_out=6, objective="regression", y_range=y_range, lookup_init=L.lookup_uniform_init
    )
    return tail, fixed_input(BATCH, 100)


def abs_endcap_1(L: Any) -> tuple[Any, Tensor]:
    # not a documented example (AbsEndcap has none): a model regressing a four-momentum, and an endcap
    # computing its mass from the model's outputs (lumin's forward takes outputs, not model inputs)
    class MassEndcap(L.AbsEndcap):
        def func(self, x: Tensor) -> Tensor:
            return torch.sqrt(torch.clamp(x[:, 3:4] ** 2 - (x[:, :3] ** 2).sum(1, keepdim=True), min=0))

    model = L.nn.Sequential(L.nn.Linear(10, 4))
    return MassEndcap(model), four_momenta(BATCH, 1).reshape(BATCH, 4)


#: every example, by name: ``<Class>[<number in the documentation>]``
EXAMPLES: dict[str, Example] = {
    "FullyConnected[1]": fully_connected_1,
    "FullyConnected[2]": fully_connected_2,
    "FullyConnected[3]": fully_connected_3,
    "FullyConnected[4]": fully_connected_4,
    "FullyConnected[5]": fully_connected_5,
    "MultiBlock[1]": multi_block_1,
    "MultiBlock[2]": multi_block_2,
    "MultiBlock[3]": multi_block_3,
    "Conv1DBlock[1]": conv1d_block_1,
    "Conv1DBlock[2]": conv1d_block_2,
    "Conv1DBlock[3]": conv1d_block_3,
    "Res1DBlock[1]": res1d_block_1,
    "Res1DBlock[2]": res1d_block_2,
    "Res1DBlock[3]": res1d_block_3,
    "ResNeXt1DBlock[1]": resnext1d_block_1,
    "ResNeXt1DBlock[2]": resnext1d_block_2,
    "ResNeXt1DBlock[3]": resnext1d_block_3,
    "CatEmbHead[1]": cat_emb_head_1,
    "CatEmbHead[2]": cat_emb_head_2,
    "CatEmbHead[3]": cat_emb_head_3,
    "CatEmbHead[4]": cat_emb_head_4,
    "MultiHead[1]": multi_head_1,
    "InteractionNet[1]": interaction_net_1,
    "InteractionNet[2]": interaction_net_2,
    "InteractionNet[3]": interaction_net_3,
    "RecurrentHead[1]": recurrent_head_1,
    "RecurrentHead[2]": recurrent_head_2,
    "RecurrentHead[3]": recurrent_head_3,
    "RecurrentHead[4]": recurrent_head_4,
    "AbsConv1dHead[1] MyCNN": abs_conv1d_head_1,
    "AbsConv1dHead[2] MyResNet": abs_conv1d_head_2,
    "AbsConv1dHead[3] MyResNeXt": abs_conv1d_head_3,
    "LorentzBoostNet[1]": lorentz_boost_net_1,
    "LorentzBoostNet[2]": lorentz_boost_net_2,
    "AutoExtractLorentzBoostNet[1]": auto_extract_lorentz_boost_net_1,
    "ClassRegMulti[1]": class_reg_multi_1,
    "ClassRegMulti[2]": class_reg_multi_2,
    "ClassRegMulti[3]": class_reg_multi_3,
    "ClassRegMulti[4]": class_reg_multi_4,
    "AbsEndcap (subclass)": abs_endcap_1,
}


# ----------------------------------------------------------------------------- documented forms
def multi_block_2_documented(L: Any) -> tuple[Any, Tensor]:
    return _multi_block(L, bottleneck=True)


def multi_block_3_documented(L: Any) -> tuple[Any, Tensor]:
    return _multi_block(L, bottleneck=True, bottleneck_act="swish")


def feat_extractor_documented(x: Tensor) -> Tensor:  # the documentation's, minus signs restored
    momenta, energies = x[:, :, :3], x[:, :, 3:]
    mass = torch.sqrt((energies**2) - torch.sum(momenta**2, dim=-1)[:, :, None])
    return mass


def lorentz_boost_net_2_documented(L: Any) -> tuple[Any, Tensor]:
    lbn = L.InteractionNet(
        cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs, n_particle=6,
        feat_extractor=feat_extractor_documented,
    )  # fmt: skip
    return lbn, matrix_input()


def lorentz_boost_net_2_documented_extractor(L: Any) -> tuple[Any, Tensor]:
    lbn = L.LorentzBoostNet(
        cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs, n_particles=6,
        feat_extractor=feat_extractor_documented,
    )  # fmt: skip
    return lbn, matrix_input()


#: the calls as the documentation writes them, where ``EXAMPLES`` holds another form:
#: key -> (the example, what differs, the call)
DOCUMENTED: dict[str, tuple[str, str, Example]] = {
    "MultiBlock[2] as documented": ("MultiBlock[2]", "bottleneck=True", multi_block_2_documented),
    "MultiBlock[3] as documented": (
        "MultiBlock[3]",
        "bottleneck=True, bottleneck_act='swish'",
        multi_block_3_documented,
    ),
    "LorentzBoostNet[2] as documented": (
        "LorentzBoostNet[2]",
        "InteractionNet(..., n_particle=6, feat_extractor=<mass, [batch, particle, 1]>)",
        lorentz_boost_net_2_documented,
    ),
    "LorentzBoostNet[2] documented extractor": (
        "LorentzBoostNet[2]",
        "LorentzBoostNet(..., n_particles=6, feat_extractor=<mass, [batch, particle, 1]>)",
        lorentz_boost_net_2_documented_extractor,
    ),
}
