"""Featurewise (FiLM) transformations conditioned on parameters (Perez et al., arXiv:1709.07871)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import Tensor, nn

from halite.nn.layers.dense import Dense, DenseConfig
from halite.nn.layers.packing import Packing

#: the values of ``FeaturewiseConfig.layer``
FeaturewiseLayer = Literal["input", "input_with_global", "encoder_layers", "encoder", "global"]


@dataclass
class FeaturewiseConfig:
    """One featurewise transformation, as written under ``featurewise_nets``.

    Parameters
    ----------
    layer
        What is transformed:

        - ``input``: each constituent stream's normalised inputs, before its init net;
        - ``input_with_global``: each init net's whole input, the stream's normalised inputs
          with the global object's variables attached (``attach_global``), as salt's ``input``
          (without ``attach_global`` the same as ``input``);
        - ``encoder_layers``: the input of every encoder block (constituents and register
          tokens), one transformation per block, as salt's ``encoder`` (the encoder must declare
          ``supports_layer_hook``, as ``TransformerEncoder`` does);
        - ``encoder``: the encoder output (register tokens included), before the pooling, as
          salt's ``global``;
        - ``global``: the pooled representation.
    dense_config_scale
        Network ``parameters -> scale``; its output size must be the width of the layer
        (leave ``output_size`` out to get it).
    dense_config_bias
        Network ``parameters -> bias``; same size rule.
    apply_norm
        Apply a ``LayerNorm`` (no affine) to the features before scaling and shifting (with
        ``form: salt`` after them, with a learned scale and bias, as salt's ``nn.LayerNorm``).
    form
        ``residual``: ``x * (1 + scale(c)) + bias(c)``, the last layers zero-initialised (starts as
        the identity). ``salt``: ``scale(c) * x + bias(c)`` with default initialisation, then the
        norm, as salt's ``FeaturewiseTransformation``.
    """

    layer: FeaturewiseLayer
    dense_config_scale: DenseConfig | None = None
    dense_config_bias: DenseConfig | None = None
    apply_norm: bool = False
    form: Literal["residual", "salt"] = "residual"


class FeaturewiseTransformation(nn.Module):
    """``x * (1 + scale(c)) + bias(c)`` for features ``x`` ``(B, [N,] F)`` and conditions ``c`` ``(B, P)``.

    Parameters
    ----------
    config
        The transformation.
    condition_size
        Width ``P`` of the conditioning vector (the parameters).
    feature_size
        Width ``F`` of the transformed layer.
    where
        Name of the transformed layer, used in errors.
    """

    def __init__(self, config: FeaturewiseConfig, condition_size: int, feature_size: int, where: str) -> None:
        super().__init__()
        if config.dense_config_scale is None and config.dense_config_bias is None:
            msg = f"featurewise net at {where}: set dense_config_scale and/or dense_config_bias."
            raise ValueError(msg)
        self.salt_form = config.form == "salt"
        self.scale = self._net(
            config.dense_config_scale, condition_size, feature_size, where, "scale", self.salt_form
        )
        self.bias = self._net(
            config.dense_config_bias, condition_size, feature_size, where, "bias", self.salt_form
        )
        # salt's norm is torch's LayerNorm (a learned scale and bias); halite's residual form has none
        self.norm = (
            nn.LayerNorm(feature_size, elementwise_affine=self.salt_form) if config.apply_norm else None
        )

    @staticmethod
    def _net(
        cfg: DenseConfig | None, n_in: int, n_out: int, where: str, kind: str, salt_form: bool = False
    ) -> Dense | None:
        if cfg is None:
            return None
        net = Dense.from_config(cfg, n_in, n_out)
        if net.out_features != n_out:
            msg = (
                f"featurewise net at {where}: dense_config_{kind}.output_size={net.out_features} but the "
                f"transformed layer has {n_out} features. Remove output_size or set it to {n_out}."
            )
            raise ValueError(msg)
        # start as the identity transformation (salt's form keeps torch's default initialisation)
        last = net.net[-1]
        if isinstance(last, nn.Linear) and not salt_form:
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        return net

    def forward(self, x: Tensor, condition: Tensor, packing: Packing | None = None) -> Tensor:
        """Transform ``x`` given ``condition`` ``(B, P)``.

        ``x`` is ``(B, F)``, ``(B, N, F)``, or with ``packing`` the packed tokens ``(T, F)``
        of the jets of ``packing`` (each token gets its own jet's scale and bias).
        """
        if self.norm is not None and not self.salt_form:
            x = self.norm(x)

        def per_row(t: Tensor) -> Tensor:  # (B, F) -> broadcastable against x
            if packing is not None:
                return packing.per_constituent(t)
            return t[(slice(None),) + (None,) * (x.dim() - 2)]

        if self.scale is not None:
            scale = per_row(self.scale(condition))
            x = x * scale if self.salt_form else x * (1.0 + scale)
        if self.bias is not None:
            x = x + per_row(self.bias(condition))
        if self.norm is not None and self.salt_form:
            x = self.norm(x)
        return x
