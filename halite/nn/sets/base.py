"""The set-encoder contract: padded constituent embeddings in, one output per constituent out.

``halite.models.Model`` runs its encoder through this contract only: a set encoder subclasses
``SetEncoder``, exposes ``embed_dim`` and ``out_features``, and declares what else it can do
with class attributes (``supports_packing``, ``multi_stream``, ``uses_edges``); the model reads
those flags and never probes for methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from torch import Tensor, nn

from halite.nn.layers.packing import Packing

#: ``hook(i, x, packing) -> x``, applied to the tokens before encoder block ``i``: ``x`` is
#: ``(B, N', D)`` with ``packing`` None (padded), or the packed valid tokens ``(T, D)`` of
#: ``packing`` (``N'`` counts the register tokens of the encoder, if any)
LayerHook = Callable[[int, Tensor, "Packing | None"], Tensor]


class SetEncoder(nn.Module):
    """Base class of the set encoders: ``(B, N, D)`` + pad mask ``(B, N)`` -> ``(B, N, D_out)``.

    ``forward(x, pad_mask)`` encodes embeddings ``x`` ``(B, N, embed_dim)`` with the pad mask
    ``pad_mask`` ``(B, N)`` (True = padding) to ``(B, N, out_features)``; padded slots never
    influence valid ones. The declared capabilities change that call:

    - ``multi_stream``: ``forward(x, pad_masks)`` takes and returns dicts per stream,
      ``{stream: (B, N_s, D)}`` and ``{stream: (B, N_s)}`` -> ``{stream: (B, N_s, out_features)}``,
      for the streams ``input_names``.
    - ``uses_edges``: the model calls ``build_edges(num_edge_features)`` once, then
      ``forward(x, pad_mask, edge_x=...)`` with raw edge features ``(B, N, N, E)``.
    - ``supports_packing``: ``forward_packed(x, packing)`` encodes the packed valid
      constituents ``(T, embed_dim)`` -> ``(T, out_features)``; the model uses it while the
      instance's ``packed`` is True (an encoder able to pack may be configured not to).
    - ``supports_layer_hook``: ``forward(x, pad_mask, layer_hook=hook)`` (and
      ``forward_packed(x, packing, layer_hook=hook)``) apply ``hook`` (a ``LayerHook``) to the
      tokens before each of its ``num_layers`` blocks (per-layer conditioning, e.g. FiLM).
    - ``output_registers`` > 0: ``forward`` returns ``(B, N + output_registers, out_features)``,
      the constituents then that many register tokens (valid in every jet) for the pooling;
      ``forward_packed`` returns the constituents only.

    A subclass that declares ``supports_packing`` or ``uses_edges`` must implement the
    matching method (checked when the class is defined).

    Attributes
    ----------
    embed_dim
        Width ``D`` of the input embeddings (the init nets' output width).
    out_features
        Width ``D_out`` of the per-constituent output.
    supports_packing
        The class implements ``forward_packed``.
    packed
        This instance runs packed: configured so, and able to (a ``TransformerEncoder`` only
        when its attention declares ``supports_packing``). Only with ``supports_packing``.
    multi_stream
        ``forward`` takes and returns dicts per stream.
    input_names
        The streams of a multi-stream encoder (``None`` otherwise).
    uses_edges
        The class implements ``build_edges`` and ``forward`` takes ``edge_x``.
    supports_layer_hook
        ``forward`` (and ``forward_packed``) take ``layer_hook``; ``num_layers`` is the number
        of blocks it is applied before.
    num_layers
        Number of blocks (with ``supports_layer_hook``).
    output_registers
        Register tokens appended to the output of ``forward`` (0: the constituents only).
    """

    embed_dim: int
    out_features: int
    supports_packing: ClassVar[bool] = False
    multi_stream: ClassVar[bool] = False
    uses_edges: ClassVar[bool] = False
    supports_layer_hook: ClassVar[bool] = False
    packed: bool = False
    input_names: list[str] | None = None
    num_layers: int = 0
    output_registers: int = 0

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for flag, method in (("supports_packing", "forward_packed"), ("uses_edges", "build_edges")):
            if getattr(cls, flag) and getattr(cls, method) is getattr(SetEncoder, method):
                msg = f"{cls.__name__} declares {flag} = True but does not implement {method}; implement it."
                raise TypeError(msg)

    def forward_packed(self, x: Tensor, packing: Packing) -> Tensor:
        """Encode packed valid constituents ``x`` ``(T, embed_dim)`` -> ``(T, out_features)``."""
        msg = (
            f"{type(self).__name__} does not support packing (supports_packing = False); run it padded "
            f"with forward(x, pad_mask)."
        )
        raise TypeError(msg)

    def build_edges(self, num_edge_features: int) -> None:
        """Create the edge layers for ``num_edge_features`` raw edge features."""
        msg = (
            f"{type(self).__name__} does not use edge features (uses_edges = False); remove edge_features "
            f"or use halite.nn.EdgeTransformerEncoder."
        )
        raise TypeError(msg)
