"""Model blocks (torch only; no Lightning, no readers), re-exported by family for short config paths.

``layers`` (generic layers), ``sets`` (set encoders, poolings, init nets), ``point`` (point-cloud
backbones) and ``lumin`` (lumin-style head / body / tail blocks); configs name them as
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
from halite.nn.lumin_legacy.base import BlockBase, BodyBase, Freezable, HeadBase
from halite.nn.lumin_legacy.body import FullyConnected, MultiBlock
from halite.nn.lumin_legacy.conv import Conv1DBlock, ConvHead, Res1DBlock, ResNeXt1DBlock
from halite.nn.lumin_legacy.endcap import AbsEndcap, BTagDiscriminantEndcap
from halite.nn.lumin_legacy.heads import CatEmbedder, CatEmbHead, MultiHead
from halite.nn.lumin_legacy.interaction import InteractionNet
from halite.nn.lumin_legacy.lorentz import AutoExtractLorentzBoostNet, LorentzBoostNet
from halite.nn.lumin_legacy.matrix import MatrixHead, MatrixInput, MatrixInputConfig
from halite.nn.lumin_legacy.tail import ClassRegMulti
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
    "AbsEndcap",
    "Activation",
    "AutoExtractLorentzBoostNet",
    "BTagDiscriminantEndcap",
    "BlockBase",
    "BodyBase",
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
    "Freezable",
    "FullyConnected",
    "GATv2Attention",
    "GlobalAttentionPooling",
    "HeadBase",
    "IdentityEncoder",
    "InitNet",
    "InitNetConfig",
    "InputNorm",
    "InteractionNet",
    "Kinematics",
    "LorentzBoostNet",
    "MatrixHead",
    "MatrixInput",
    "MatrixInputConfig",
    "MeanPooling",
    "MultiBlock",
    "MultiHead",
    "Packing",
    "ParticleTransformer",
    "PointBackbone",
    "PointGlobalMixedViT",
    "Pooling",
    "PreNormBlock",
    "Res1DBlock",
    "ResNeXt1DBlock",
    "ScaledDotProductAttention",
    "SetEncoder",
    "TransformerCrossAttentionEncoder",
    "TransformerEncoder",
    "make_activation",
    "mlp",
]
