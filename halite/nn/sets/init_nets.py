"""Per-stream embedding networks."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn

from halite.nn.layers.dense import Dense, DenseConfig


@dataclass
class InitNetConfig:
    """Embedding network of one constituent stream.

    Parameters
    ----------
    input_name
        The stream (``tracks``, ``electrons``, ...).
    dense_config
        The network; ``output_size`` defaults to the encoder width.
    attach_global
        Concatenate the global object's features to every constituent.
    """

    input_name: str
    dense_config: DenseConfig = field(default_factory=DenseConfig)
    attach_global: bool = True


class InitNet(nn.Module):
    """Embed constituents ``(B, N, F [+ F_global])`` -> ``(B, N, D)``."""

    def __init__(self, config: InitNetConfig, input_size: int, global_size: int, embed_dim: int) -> None:
        super().__init__()
        self.input_name = config.input_name
        self.global_size = global_size if config.attach_global else 0
        self.net = Dense.from_config(
            config.dense_config, input_size, embed_dim, context_size=self.global_size
        )
        self.out_features = self.net.out_features
        self.mup = config.dense_config.mup or config.dense_config.muP  # checked against the muP set-up
        if self.out_features != embed_dim:
            msg = (
                f"Init net for '{config.input_name}' outputs {self.out_features} features but the encoder "
                f"expects embed_dim={embed_dim}. Drop dense_config.output_size or set it to {embed_dim}."
            )
            raise ValueError(msg)

    def forward(self, x: Tensor, global_x: Tensor | None) -> Tensor:
        """``x`` ``(B, N, F)``, ``global_x`` ``(B, F_global)`` or None -> ``(B, N, D)``."""
        return self.net(x, global_x if self.global_size else None)
