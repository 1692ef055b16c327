"""lumin 0.9.1's model blocks with lumin's names, signatures, defaults and behaviour.

A lumin user ports code by changing the import: ``from lumin.nn.models.blocks.body import
FullyConnected`` becomes ``from halite.nn.lumin import FullyConnected``.
"""

from halite.nn.lumin.abs_block import AbsBlock
from halite.nn.lumin.activations import Mish, Swish, lookup_act
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
from halite.nn.lumin.head_base import AbsHead, AbsMatrixHead
from halite.nn.lumin.initialisations import lookup_normal_init, lookup_uniform_init
from halite.nn.lumin.recurrent import RecurrentHead

__all__ = [
    "AbsBlock",
    "AbsConv1dHead",
    "AbsHead",
    "AbsMatrixHead",
    "AdaptiveAvgMaxConcatPool1d",
    "AdaptiveAvgMaxConcatPool2d",
    "AdaptiveAvgMaxConcatPool3d",
    "Conv1DBlock",
    "ConvHead",
    "Mish",
    "RecurrentHead",
    "Res1DBlock",
    "ResNeXt1DBlock",
    "SEBlock1d",
    "SEBlock2d",
    "SEBlock3d",
    "Swish",
    "lookup_act",
    "lookup_normal_init",
    "lookup_uniform_init",
]
