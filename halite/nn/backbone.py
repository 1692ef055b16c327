"""The one backbone contract: raw inputs per stream -> one vector per jet (optionally per constituent).

Every assembled model is a backbone plus task heads: ``halite.models.Model`` (init nets ->
encoder -> pooling), ``halite.models.BlockModel`` (a lumin head and body), and
``halite.models.PointCloudModel`` (ViT, PET2, ParT, CondOnlyMLP); the continual-learning
backbones follow the same contract. A backbone is built late, once the data section has told
it its inputs (``InputInfo``), as ``halite.nn.sets.pooling.Pooling.build``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from torch import Tensor, nn

from halite.typing import Masks, Tensors


@dataclass(frozen=True)
class InputInfo:
    """What a backbone learns from the data section when the model builds it.

    Parameters
    ----------
    variables
        Input variables per stream, in input order (``data.variables``).
    norm
        Salt norm dict ``{stream: {var: {mean, std}}}``, or ``None`` where the inputs are
        already scaled (e.g. the digits benchmarks).
    global_object
        Name of the ``(B, F)`` global stream (jets, events), ``None`` if there is none.
    constituent_streams
        The ``(B, N, F)`` streams, in input order.
    """

    variables: Mapping[str, list[str]]
    norm: Mapping | None = None
    global_object: str | None = None
    constituent_streams: Sequence[str] = field(default_factory=tuple)

    def stream_norm(self, name: str, what: str) -> Mapping:
        """Norm-dict entry of stream ``name``; error naming ``what`` needs it if there is none."""
        if self.norm is None or name not in self.norm:
            have = "no norm dict" if self.norm is None else f"streams {sorted(self.norm)}"
            msg = f"{what} normalises stream '{name}' but the norm dict has {have}; set data.norm_dict."
            raise ValueError(msg)
        return self.norm[name]  # type: ignore[no-any-return]


class Backbone(nn.Module):
    """Maps the inputs of a batch to one feature vector per jet.

    Subclasses create their parameters in ``build`` and implement ``forward``. A backbone
    that also has one feature vector per constituent sets ``per_constituent = True`` and
    implements ``forward_constituents``; a model with per-constituent tasks needs one.

    Attributes
    ----------
    out_features
        Width ``D`` of the per-jet output (known after ``build``).
    per_constituent
        Whether ``forward_constituents`` is available.
    """

    out_features: int
    per_constituent: ClassVar[bool] = False

    def build(self, info: InputInfo) -> int:
        """Create the parameters for the inputs described by ``info``; return ``out_features``."""
        raise NotImplementedError

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Raw inputs ``(B, F)`` / ``(B, N, F)`` per stream, pad masks ``(B, N)`` -> ``(B, D)``."""
        raise NotImplementedError

    def forward_constituents(self, inputs: Tensors, pad_masks: Masks) -> tuple[dict[str, Tensor], Tensor]:
        """Per constituent stream ``(B, N, D_c)`` and the per-jet vector ``(B, D)``.

        Only for backbones with ``per_constituent = True``.
        """
        msg = (
            f"{type(self).__name__} has no per-constituent output (per_constituent = False); "
            f"use a backbone with per_constituent = True (e.g. halite.models.Model's init nets -> encoder)."
        )
        raise TypeError(msg)
