"""``AbsBlock``: what every lumin block shares (lumin's ``lumin.nn.models.blocks.abs_block``)."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from typing import Any

from torch import Tensor, nn

from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["AbsBlock", "LookupInit"]

LookupInit = Callable[[str, int | None, int | None], Callable[[Tensor], Any]]


class AbsBlock(nn.Module, metaclass=ABCMeta):
    """Base of the lumin blocks: weight-init lookup, freezing, parameter count, output size.

    Parameters
    ----------
    lookup_init
        ``(act, fan_in, fan_out) -> init function`` used for every weight of the block.
    freeze
        Start with every parameter untrainable (kept as the attribute ``freeze``; subclasses call
        ``freeze_layers`` once their layers exist, as lumin's do).
    """

    def __init__(self, lookup_init: LookupInit = lookup_normal_init, freeze: bool = False) -> None:
        self.lookup_init, self.freeze = lookup_init, freeze
        super().__init__()

    def __getitem__(self, key: int) -> nn.Module:
        """Layer ``key`` of the block's ``layers``."""
        return self.layers[key]  # type: ignore[index,no-any-return,return-value]

    def get_param_count(self, trainable: bool = True) -> int:
        """Number of parameters: the trainable ones (default), or all with ``trainable=False``.

        lumin 0.9.1 counts only trainable parameters whatever ``trainable`` says; the default call is the same.
        """
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable)

    def freeze_layers(self) -> None:
        """Make every parameter untrainable."""
        for p in self.parameters():
            p.requires_grad = False

    def unfreeze_layers(self) -> None:
        """Make every parameter trainable."""
        for p in self.parameters():
            p.requires_grad = True

    @abstractmethod
    def forward(self, x: Tensor) -> Tensor:
        """Pass ``x`` through the block."""

    @abstractmethod
    def get_out_size(self) -> int:
        """Width of the block output."""
