"""The documented examples of lumin 0.9.1's heads (``bench/lumin_examples.py`` lists them all).

Each is a function of a namespace ``L`` of block names returning ``(block, input)``; the same source
builds lumin's block and halite's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import Tensor

Example = Callable[[Any], tuple[Any, Any]]

from lumin_example_data import (  # noqa: E402  (bench/ is on the path wherever the examples run)
    BATCH,
    CONV_FEATS_PER_VEC,
    CONV_MATRIX_FEATS,
    CONV_VECS,
    cat_columns,
    cont_feats,
    feats_per_vec,
    fixed_input,
    matrix_feats,
    matrix_input,
    train_fy,
    vecs,
)


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
