"""lumin 0.9.1's model blocks with lumin's names, signatures, defaults and behaviour.

A lumin user ports code by changing the import: ``from lumin.nn.models.blocks.body import
FullyConnected`` becomes ``from halite.nn.lumin import FullyConnected``; a lumin block's state dict
loads into halite's strictly. Where lumin 0.9.1 is broken halite fixes it, and each class docstring
says what differs and which option gives lumin's behaviour.
"""

from halite.nn.lumin.abs_block import AbsBlock, LookupInit
from halite.nn.lumin.activations import Mish, Swish, hard_identity, lookup_act
from halite.nn.lumin.batchnorms import LCBatchNorm1d
from halite.nn.lumin.body import AbsBody, FullyConnected, IdentBody, MultiBlock
from halite.nn.lumin.cat_emb_head import CatEmbHead
from halite.nn.lumin.conv_blocks import Conv1DBlock, Res1DBlock, ResNeXt1DBlock
from halite.nn.lumin.conv_head import AbsConv1dHead, ConvHead
from halite.nn.lumin.conv_pooling import (
    AdaptiveAvgMaxConcatPool1d,
    AdaptiveAvgMaxConcatPool2d,
    AdaptiveAvgMaxConcatPool3d,
    SEBlock1d,
    SEBlock2d,
    SEBlock3d,
)
from halite.nn.lumin.endcap import AbsEndcap, BTagDiscriminantEndcap
from halite.nn.lumin.four_momenta import MOMENTUM_FORMATS, MomentumFormat, to_four_momenta
from halite.nn.lumin.head_base import AbsHead, AbsMatrixHead, HeadInput
from halite.nn.lumin.helpers import CatEmbedder
from halite.nn.lumin.initialisations import lookup_normal_init, lookup_uniform_init
from halite.nn.lumin.interaction import EDGE_MODES, InteractionNet, OldInteractionNet
from halite.nn.lumin.lorentz import LBNFeatures, LBNNumerics, LorentzBoostNet, boost_to_frames
from halite.nn.lumin.lorentz_auto import AutoExtractLorentzBoostNet
from halite.nn.lumin.multi_head import MultiHead
from halite.nn.lumin.recurrent import RecurrentHead
from halite.nn.lumin.tail import AbsTail, ClassRegMulti, IdentTail

__all__ = [
    "EDGE_MODES",
    "MOMENTUM_FORMATS",
    "AbsBlock",
    "AbsBody",
    "AbsConv1dHead",
    "AbsEndcap",
    "AbsHead",
    "AbsMatrixHead",
    "AbsTail",
    "AdaptiveAvgMaxConcatPool1d",
    "AdaptiveAvgMaxConcatPool2d",
    "AdaptiveAvgMaxConcatPool3d",
    "AutoExtractLorentzBoostNet",
    "BTagDiscriminantEndcap",
    "CatEmbHead",
    "CatEmbedder",
    "ClassRegMulti",
    "Conv1DBlock",
    "ConvHead",
    "FullyConnected",
    "HeadInput",
    "IdentBody",
    "IdentTail",
    "InteractionNet",
    "LBNFeatures",
    "LBNNumerics",
    "LCBatchNorm1d",
    "LookupInit",
    "LorentzBoostNet",
    "Mish",
    "MomentumFormat",
    "MultiBlock",
    "MultiHead",
    "OldInteractionNet",
    "RecurrentHead",
    "Res1DBlock",
    "ResNeXt1DBlock",
    "SEBlock1d",
    "SEBlock2d",
    "SEBlock3d",
    "Swish",
    "boost_to_frames",
    "hard_identity",
    "lookup_act",
    "lookup_normal_init",
    "lookup_uniform_init",
    "to_four_momenta",
]
