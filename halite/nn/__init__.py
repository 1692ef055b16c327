"""Model blocks (torch only; no Lightning, no readers), re-exported by family for short config paths.

``layers`` (generic layers), ``sets`` (set encoders, poolings, init nets), ``point`` (point-cloud
backbones) and ``lumin`` (lumin 0.9.1's head / body / tail blocks, also under ``halite.nn.lumin``); configs name them as
``halite.nn.<Class>``, e.g. ``halite.nn.TransformerEncoder``.
"""

from halite.nn.layers.activations import Activation, make_activation
from halite.nn.layers.attention import ScaledDotProductAttention
from halite.nn.layers.cross_attention import CrossAttentionLayer
from halite.nn.layers.dense import Dense, DenseConfig, mlp
from halite.nn.layers.edges import EdgeFeatures, EdgeFeaturesConfig
from halite.nn.layers.featurewise import FeaturewiseConfig, FeaturewiseTransformation
from halite.nn.layers.gatv2 import GATv2Attention
from halite.nn.layers.norm import InputNorm
from halite.nn.layers.packing import Packing
from halite.nn.layers.posenc import FourierPositionalEncoding
from halite.nn.layers.prenorm import ClassAttentionBlock, PreNormBlock
from halite.nn.lumin import (
    AbsConv1dHead,
    AbsEndcap,
    AutoExtractLorentzBoostNet,
    BTagDiscriminantEndcap,
    CatEmbedder,
    CatEmbHead,
    ClassRegMulti,
    Conv1DBlock,
    ConvHead,
    FullyConnected,
    InteractionNet,
    LorentzBoostNet,
    MultiBlock,
    MultiHead,
    RecurrentHead,
    Res1DBlock,
    ResNeXt1DBlock,
)
from halite.nn.point.base import Kinematics, PointBackbone
from halite.nn.point.cond_mlp import CondOnlyMLP
from halite.nn.point.part import ParticleTransformer
from halite.nn.point.pet import PET2
from halite.nn.point.vit import PointGlobalMixedViT
from halite.nn.sets.base import SetEncoder
from halite.nn.sets.cross_attention import TransformerCrossAttentionEncoder
from halite.nn.sets.edge_transformer import EdgeTransformerEncoder
from halite.nn.sets.identity import IdentityEncoder
from halite.nn.sets.init_nets import InitNet, InitNetConfig
from halite.nn.sets.pooling import CrossAttentionPooling, GlobalAttentionPooling, MeanPooling, Pooling
from halite.nn.sets.transformer import TransformerEncoder

__all__ = [
    "PET2",
    "AbsConv1dHead",
    "AbsEndcap",
    "Activation",
    "AutoExtractLorentzBoostNet",
    "BTagDiscriminantEndcap",
    "CatEmbHead",
    "CatEmbedder",
    "ClassAttentionBlock",
    "ClassRegMulti",
    "CondOnlyMLP",
    "Conv1DBlock",
    "ConvHead",
    "CrossAttentionLayer",
    "CrossAttentionPooling",
    "Dense",
    "DenseConfig",
    "EdgeFeatures",
    "EdgeFeaturesConfig",
    "EdgeTransformerEncoder",
    "FeaturewiseConfig",
    "FeaturewiseTransformation",
    "FourierPositionalEncoding",
    "FullyConnected",
    "GATv2Attention",
    "GlobalAttentionPooling",
    "IdentityEncoder",
    "InitNet",
    "InitNetConfig",
    "InputNorm",
    "InteractionNet",
    "Kinematics",
    "LorentzBoostNet",
    "MeanPooling",
    "MultiBlock",
    "MultiHead",
    "Packing",
    "ParticleTransformer",
    "PointBackbone",
    "PointGlobalMixedViT",
    "Pooling",
    "PreNormBlock",
    "RecurrentHead",
    "Res1DBlock",
    "ResNeXt1DBlock",
    "ScaledDotProductAttention",
    "SetEncoder",
    "TransformerCrossAttentionEncoder",
    "TransformerEncoder",
    "make_activation",
    "mlp",
]
