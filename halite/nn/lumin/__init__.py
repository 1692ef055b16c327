"""lumin 0.9.1's model blocks with lumin's names, signatures, defaults and behaviour.

A lumin user ports code by changing the import: ``from lumin.nn.models.blocks.body import
FullyConnected`` becomes ``from halite.nn.lumin import FullyConnected``.
"""

from halite.nn.lumin.abs_block import AbsBlock
from halite.nn.lumin.activations import Mish, Swish, lookup_act
from halite.nn.lumin.batchnorms import LCBatchNorm1d
from halite.nn.lumin.head_base import AbsHead, AbsMatrixHead
from halite.nn.lumin.initialisations import lookup_normal_init, lookup_uniform_init
from halite.nn.lumin.lorentz import LorentzBoostNet
from halite.nn.lumin.lorentz_auto import AutoExtractLorentzBoostNet

__all__ = [
    "AbsBlock",
    "AbsHead",
    "AbsMatrixHead",
    "AutoExtractLorentzBoostNet",
    "LCBatchNorm1d",
    "LorentzBoostNet",
    "Mish",
    "Swish",
    "lookup_act",
    "lookup_normal_init",
    "lookup_uniform_init",
]
