"""lumin 0.9.1's model blocks with lumin's names, signatures, defaults and behaviour.

A lumin user ports code by changing the import: ``from lumin.nn.models.blocks.body import
FullyConnected`` becomes ``from halite.nn.lumin import FullyConnected``.
"""

from halite.nn.lumin.abs_block import AbsBlock
from halite.nn.lumin.activations import Mish, Swish, lookup_act
from halite.nn.lumin.cat_emb_head import CatEmbHead
from halite.nn.lumin.head_base import AbsHead, AbsMatrixHead
from halite.nn.lumin.helpers import CatEmbedder
from halite.nn.lumin.initialisations import lookup_normal_init, lookup_uniform_init
from halite.nn.lumin.interaction import InteractionNet, LCBatchNorm1d, OldInteractionNet
from halite.nn.lumin.multi_head import MultiHead

__all__ = [
    "AbsBlock",
    "AbsHead",
    "AbsMatrixHead",
    "CatEmbHead",
    "CatEmbedder",
    "InteractionNet",
    "LCBatchNorm1d",
    "Mish",
    "MultiHead",
    "OldInteractionNet",
    "Swish",
    "lookup_act",
    "lookup_normal_init",
    "lookup_uniform_init",
]
