"""``LCBatchNorm1d``: lumin's batch norm over the last axis of ``(B, length, channels)`` data."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["LCBatchNorm1d"]


class LCBatchNorm1d(nn.Module):
    """Run a 1-d batch norm over the channels of ``(B, length, channels)`` data (lumin's ``LCBatchNorm1d``).

    Networks broadcast over the objects of a matrix see ``(B, n_objects, n_features)``; ``nn.BatchNorm1d``
    normalises axis 1, so the data are transposed to ``(B, channels, length)`` and back.

    Parameters
    ----------
    bn
        The batch norm to run, built for ``channels`` features (kept as ``bn``: state-dict keys ``bn.*``).
    """

    def __init__(self, bn: nn.Module) -> None:
        super().__init__()
        self.bn = bn

    def forward(self, x: Tensor) -> Tensor:
        """``(B, length, channels)`` -> normalised ``(B, length, channels)``."""
        return self.bn(x.transpose(-1, -2)).transpose(-1, -2)  # type: ignore[no-any-return]
