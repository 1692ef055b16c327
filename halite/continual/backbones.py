"""Feature extractors shared by all tasks: an MLP for flat inputs, the GN2 stack for jets.

Both follow ``halite.nn.backbone.Backbone``: built late (``build(info)``), once the benchmark
has told them its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor

from halite.models.model import Model
from halite.nn.backbone import Backbone, InputInfo
from halite.nn.layers.dense import Activation, Dense
from halite.nn.layers.norm import InputNorm
from halite.nn.sets.base import SetEncoder
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import Pooling
from halite.typing import Masks, Tensors


@dataclass
class MLPConfig:
    """Layers of ``MLPBackbone``.

    Parameters
    ----------
    hidden_layers
        Hidden widths.
    output_size
        Feature width ``D``.
    activation
        Activation after every layer, the output included.
    dropout
        Dropout after every hidden activation.
    """

    hidden_layers: list[int] = field(default_factory=lambda: [128])
    output_size: int = 128
    activation: Activation = "ReLU"
    dropout: float = 0.0


class MLPBackbone(Backbone):
    """An MLP over one flat input stream ``(B, F)`` -> ``(B, D)``.

    Parameters
    ----------
    input_name
        The stream to read (``digits`` for the digits benchmarks).
    mlp
        The layers.
    """

    def __init__(self, input_name: str = "digits", mlp: MLPConfig | None = None) -> None:
        super().__init__()
        self.input_name = input_name
        self.mlp = mlp or MLPConfig()
        self.out_features = self.mlp.output_size
        self.norm: InputNorm | None = None
        self.net: Dense | None = None

    def build(self, info: InputInfo) -> int:
        if self.input_name not in info.variables:
            msg = (
                f"MLPBackbone: input_name '{self.input_name}' is not a stream of the benchmark "
                f"(streams: {sorted(info.variables)}). Set continual.backbone.init_args.input_name."
            )
            raise ValueError(msg)
        variables = info.variables[self.input_name]
        if info.norm is not None:
            self.norm = InputNorm(variables, info.norm[self.input_name])
        self.net = Dense(
            len(variables),
            self.mlp.output_size,
            self.mlp.hidden_layers,
            activation=self.mlp.activation,
            final_activation=self.mlp.activation,
            dropout=self.mlp.dropout,
        )
        return self.out_features

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """``inputs[input_name]`` ``(B, F)`` -> ``(B, D)``."""
        if self.net is None:
            msg = "MLPBackbone used before build(info)."
            raise RuntimeError(msg)
        x = inputs[self.input_name]
        return self.net(self.norm(x) if self.norm is not None else x)


class JetBackbone(Backbone):
    """The GN2 stack: input norm -> init nets -> encoder -> pooling, ``(B, D)`` per jet.

    Wraps ``halite.models.Model`` without tasks (ATLAS, ATL-PHYS-PUB-2022-027).

    Parameters
    ----------
    init_nets
        One embedding network per constituent stream.
    encoder
        E.g. ``halite.nn.sets.transformer.TransformerEncoder``.
    pool_net
        E.g. ``halite.nn.sets.pooling.GlobalAttentionPooling``.
    """

    def __init__(self, init_nets: list[InitNetConfig], encoder: SetEncoder, pool_net: Pooling) -> None:
        super().__init__()
        self.init_net_configs = list(init_nets)
        self.encoder_module = encoder
        self.pool_module = pool_net
        self.model: Model | None = None

    def build(self, info: InputInfo) -> int:
        if info.global_object is None or info.norm is None:
            msg = "JetBackbone needs a jet benchmark (a global object and a norm dict), e.g. JetSequence."
            raise ValueError(msg)
        self.model = Model(
            self.init_net_configs,
            self.encoder_module,
            self.pool_module,
            tasks=[],
            variables=dict(info.variables),
            norm_dict=dict(info.norm),
            global_object=info.global_object,
        )
        del self.encoder_module, self.pool_module
        self.out_features = int(self.model.backbone.out_features)
        return self.out_features

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Jets ``(B, F)`` and constituents ``(B, N, F)`` with pad masks ``(B, N)`` -> ``(B, D)``."""
        if self.model is None:
            msg = "JetBackbone used before build(info)."
            raise RuntimeError(msg)
        return self.model.backbone(inputs, pad_masks)
