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
from typing import Any

import numpy as np
import torch
from torch import Tensor

Example = Callable[[Any], tuple[Any, Any]]

from lumin_example_data import (  # noqa: E402  (bench/ is on the path wherever the examples run)
    BATCH,
    feats_per_vec,
    fixed_input,
    four_momenta,
    head,
    matrix_feats,
    matrix_input,
    targets,
    train_feats,
    vecs,
)


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


from lumin_examples_heads import (  # noqa: E402
    abs_conv1d_head_1,
    abs_conv1d_head_2,
    abs_conv1d_head_3,
    auto_extract_lorentz_boost_net_1,
    cat_emb_head_1,
    cat_emb_head_2,
    cat_emb_head_3,
    cat_emb_head_4,
    interaction_net_1,
    interaction_net_2,
    interaction_net_3,
    lorentz_boost_net_1,
    lorentz_boost_net_2,
    multi_head_1,
    recurrent_head_1,
    recurrent_head_2,
    recurrent_head_3,
    recurrent_head_4,
)


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
