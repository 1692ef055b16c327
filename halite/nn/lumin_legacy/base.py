"""Common interface of the lumin-style blocks: late build, output size, freezing."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from halite.nn.backbone import Backbone, InputInfo
from halite.typing import Masks, Tensors

__all__ = ["BlockBase", "BodyBase", "Freezable", "HeadBase", "InputInfo"]


class Freezable(nn.Module):
    """``freeze`` / ``unfreeze`` for any block."""

    def freeze(self) -> None:
        """Stop gradients to every parameter of the block."""
        for p in self.parameters():
            p.requires_grad_(False)

    def unfreeze(self) -> None:
        """Let every parameter of the block train again."""
        for p in self.parameters():
            p.requires_grad_(True)


class BlockBase(Freezable):
    """A block that is built late and can be frozen.

    Subclasses create their parameters in ``build`` and set ``out_features``.
    ``freeze`` given at construction is applied once the block is built.
    """

    out_features: int

    def __init__(self, freeze: bool = False) -> None:
        super().__init__()
        self._freeze_on_build = freeze
        self.built = False

    def _finish_build(self, out_features: int) -> int:
        """Record the output width, apply ``freeze``; return the width (what ``build`` returns)."""
        self.out_features = int(out_features)
        self.built = True
        if self._freeze_on_build:
            self.freeze()
        return self.out_features

    def get_out_size(self) -> int:
        """Width of the block output (after ``build``)."""
        if not self.built:
            msg = f"{type(self).__name__} has not been built yet; the model builds it from the data."
            raise RuntimeError(msg)
        return self.out_features

    def check_out_sz(self, expected: int) -> None:
        """Raise if the output width differs from ``expected``."""
        if self.get_out_size() != expected:
            msg = f"{type(self).__name__} outputs {self.get_out_size()} features but {expected} are expected."
            raise ValueError(msg)


class HeadBase(BlockBase, Backbone):
    """Maps the model inputs to one flat vector per jet ``(B, out_features)``: a ``Backbone``.

    ``feat_map`` names groups of output columns (an input feature, an embedded
    categorical feature, or a whole matrix head), used by ``MultiBlock`` to split
    features among bodies.
    """

    feat_map: dict[str, list[int]]

    def build(self, info: InputInfo) -> int:
        """Create the parameters for the data described by ``info``; return ``out_features``."""
        raise NotImplementedError

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Raw inputs ``(B, F)`` / ``(B, N, F)`` per stream -> ``(B, out_features)``."""
        raise NotImplementedError


class BodyBase(BlockBase):
    """Maps ``(B, n_in)`` to ``(B, out_features)``."""

    n_in: int

    def build(self, n_in: int, feat_map: Mapping[str, list[int]] | None = None) -> None:
        """Create the parameters for ``n_in`` input features named by ``feat_map``."""
        raise NotImplementedError
