"""lumin 0.9.1's 1D convolutional blocks (lumin's ``lumin.nn.models.blocks.conv_blocks``, first half).

``Conv1DBlock`` (one convolution with its activation and batch norm), ``Res1DBlock`` (a pre-activation
residual pair, arXiv:1512.03385 / arXiv:1603.05027) and ``ResNeXt1DBlock`` (a pre-activation grouped
bottleneck, arXiv:1611.05431). Every block maps ``(B, in_c, L)`` to ``(B, out_c, L')``; the state-dict
layout is lumin's, so ``load_state_dict(lumin_block.state_dict())`` works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor, nn

from halite.nn.lumin.abs_block import LookupInit
from halite.nn.lumin.activations import lookup_act as default_lookup_act
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["Conv1DBlock", "Res1DBlock", "ResNeXt1DBlock"]


class Conv1DBlock(nn.Module):
    """A single 1D convolution, with its activation and optional batch norm.

    ``layers`` is ``Sequential(Conv1d, act, BatchNorm)`` (post-activation, the default), or
    ``Sequential(BatchNorm, act, Conv1d)`` for layers built with ``pre_act=True``; the activation is
    left out for ``act='linear'`` and the batch norm without ``bn``. Weights are initialised by
    ``lookup_init(act, fan_in, fan_out)``, biases are zero.

    lumin 0.9.1 calls ``lookup_init(act)`` without the fan-in, so ``act='selu'`` crashes at construction;
    here the fans of the convolution (``in_c // groups * kernel_sz``, ``out_c // groups * kernel_sz``)
    are passed; other activations initialise exactly as in lumin.

    ``padding='auto'`` pads ``kernel_sz // 2`` columns at both ends, as lumin does: the length is kept
    for odd kernels at stride 1; an even kernel gives one column more.

    Parameters
    ----------
    in_c, out_c
        Input and output channels (features per object).
    kernel_sz
        Kernel width (objects overlaid).
    padding
        Columns padded at both ends, or ``'auto'`` (``get_padding(kernel_sz)``).
    stride
        Step of the kernel over the objects.
    act
        Activation name for ``lookup_act`` (and ``lookup_init``).
    bn
        Add a batch norm (after the activation; before it in pre-activation layers).
    lookup_init
        ``(act, fan_in, fan_out) -> init function`` for the convolution weights.
    lookup_act
        ``name -> activation layer``.
    bn_class
        Batch-norm class, called with the number of channels.

    Examples
    --------
    >>> conv = Conv1DBlock(in_c=3, out_c=16, kernel_sz=3)
    >>> conv = Conv1DBlock(in_c=16, out_c=32, kernel_sz=3, stride=2)
    >>> conv = Conv1DBlock(in_c=3, out_c=16, kernel_sz=3, act='swish', bn=True)
    """

    def __init__(
        self,
        in_c: int,
        out_c: int,
        kernel_sz: int,
        padding: int | str = "auto",
        stride: int = 1,
        act: str = "relu",
        bn: bool = False,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
    ) -> None:
        super().__init__()
        self.in_c, self.out_c, self.stride, self.act, self.bn = in_c, out_c, stride, act, bn
        self.lookup_init, self.lookup_act, self.bn_class = lookup_init, lookup_act, bn_class
        self.ks = kernel_sz
        self.pad: int | str = self.get_padding(kernel_sz) if padding == "auto" else padding
        self.set_layers()

    @staticmethod
    def get_padding(kernel_sz: int) -> int:
        """Columns padded at each end for ``padding='auto'``: ``kernel_sz // 2``."""
        return kernel_sz // 2

    def set_layers(self) -> None:
        """Build ``self.layers``: one ``get_conv_layer`` (overload for other architectures)."""
        self.layers: nn.Module = self.get_conv_layer(
            in_c=self.in_c, out_c=self.out_c, kernel_sz=self.ks, padding=self.pad, stride=self.stride
        )

    def get_conv_layer(
        self,
        in_c: int,
        out_c: int,
        kernel_sz: int,
        padding: int | str = "auto",
        stride: int = 1,
        pre_act: bool = False,
        groups: int = 1,
    ) -> nn.Module:
        """A ``Sequential`` around one ``Conv1d``, with the block's batch norm and activation, initialised.

        Parameters
        ----------
        in_c, out_c, kernel_sz, padding, stride
            As for the block.
        pre_act
            Batch norm and activation before the convolution (on ``in_c``) instead of after it (on ``out_c``).
        groups
            Groups of the convolution (blocks of connections from input to output channels).

        Returns
        -------
        nn.Module
            ``(B, in_c, L) -> (B, out_c, L')``.
        """
        pad = self.get_padding(kernel_sz) if padding == "auto" else padding
        layers: list[nn.Module] = []
        if pre_act:
            layers += self._bn_act(in_c, bn_first=True)
        conv = nn.Conv1d(in_c, out_c, kernel_size=kernel_sz, padding=pad, stride=stride, groups=groups)  # type: ignore[arg-type]
        self.lookup_init(self.act, in_c // groups * kernel_sz, out_c // groups * kernel_sz)(conv.weight)
        nn.init.zeros_(conv.bias)  # type: ignore[arg-type]
        layers.append(conv)
        if not pre_act:
            layers += self._bn_act(out_c, bn_first=False)
        return nn.Sequential(*layers)

    def _bn_act(self, c: int, bn_first: bool) -> list[nn.Module]:
        act = [self.lookup_act(self.act)] if self.act != "linear" else []
        bn = [self.bn_class(c)] if self.bn else []
        return bn + act if bn_first else act + bn

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_c, L) -> (B, out_c, L')``."""
        return self.layers(x)  # type: ignore[no-any-return]


class _ResidualMixin:
    """The shortcut and the sum shared by the residual blocks."""

    in_c: int
    out_c: int
    stride: int
    ks: int
    pad: int | str
    layers: nn.Module

    def _check_length(self) -> None:
        if 2 * int(self.pad) != self.ks - 1:
            msg = (
                f"{type(self).__name__}: kernel_sz={self.ks} with padding={self.pad} changes the length of the "
                f"residual branch ({2 * int(self.pad) - self.ks + 1:+d} columns per convolution), so it cannot be "
                "added to the shortcut (lumin 0.9.1 builds this block and fails in forward with a size mismatch). "
                "Use an odd kernel_sz with padding='auto' (kernel_sz // 2)."
            )
            raise ValueError(msg)

    def _set_shortcut(self) -> None:
        self.shortcut: nn.Module | None = (
            nn.Conv1d(self.in_c, self.out_c, kernel_size=1, stride=self.stride)
            if self.stride != 1 or self.in_c != self.out_c
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_c, L) -> (B, out_c, L')``: shortcut (identity or 1x1 convolution) + residual branch."""
        skip = x if self.shortcut is None else self.shortcut(x)
        return skip + self.layers(x)  # type: ignore[no-any-return]


class Res1DBlock(_ResidualMixin, Conv1DBlock):
    """Two pre-activation convolutions with a residual connection (arXiv:1512.03385, arXiv:1603.05027).

    ``layers`` is ``Sequential(conv(in_c -> out_c, stride), conv(out_c -> out_c, stride 1))``, each
    ``[BatchNorm] -> act -> Conv1d``; ``shortcut`` is a 1x1 convolution when ``stride != 1`` or
    ``in_c != out_c``, else None (identity). Arguments as ``Conv1DBlock``.

    The branch must keep the length, which needs an odd ``kernel_sz`` and ``padding = kernel_sz // 2``;
    lumin 0.9.1 builds other combinations and fails in forward, here the constructor raises.

    Examples
    --------
    >>> conv = Res1DBlock(in_c=16, out_c=16, kernel_sz=3)
    >>> conv = Res1DBlock(in_c=16, out_c=32, kernel_sz=3, stride=2)
    >>> conv = Res1DBlock(in_c=16, out_c=16, kernel_sz=3, act='swish', bn=True)
    """

    def set_layers(self) -> None:
        """Build the two pre-activation convolutions and the shortcut."""
        self._check_length()
        self.layers = nn.Sequential(
            self.get_conv_layer(
                self.in_c, self.out_c, self.ks, padding=self.pad, stride=self.stride, pre_act=True
            ),
            self.get_conv_layer(self.out_c, self.out_c, self.ks, padding=self.pad, stride=1, pre_act=True),
        )
        self._set_shortcut()


class ResNeXt1DBlock(_ResidualMixin, Conv1DBlock):
    """A pre-activation ResNeXt bottleneck with a residual connection (arXiv:1611.05431).

    ``layers`` is ``Sequential(1x1 conv (in_c -> inter_c * cardinality, stride), grouped conv
    (kernel_sz, ``cardinality`` groups of ``inter_c`` channels), 1x1 conv (-> out_c))``, each
    ``[BatchNorm] -> act -> Conv1d``; ``shortcut`` as in ``Res1DBlock``. ``inter_c`` is the width of ONE
    group (the bottleneck is ``inter_c * cardinality`` wide) and the stride is on the first 1x1 convolution,
    as in lumin.

    Parameters
    ----------
    inter_c
        Channels per group.
    cardinality
        Number of groups.
    in_c, out_c, kernel_sz, padding, stride, act, bn, lookup_init, lookup_act, bn_class
        As for ``Conv1DBlock`` (``kernel_sz`` and ``padding`` are the grouped convolution's; odd
        ``kernel_sz`` with ``padding = kernel_sz // 2`` is needed, as for ``Res1DBlock``).

    Examples
    --------
    >>> conv = ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3)
    >>> conv = ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3, stride=2)
    >>> conv = ResNeXt1DBlock(in_c=32, inter_c=4, cardinality=4, out_c=32, kernel_sz=3, act='swish', bn=True)
    """

    def __init__(
        self,
        in_c: int,
        inter_c: int,
        cardinality: int,
        out_c: int,
        kernel_sz: int,
        padding: int | str = "auto",
        stride: int = 1,
        act: str = "relu",
        bn: bool = False,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
    ) -> None:
        self.inter_c, self.cardinality = inter_c, cardinality
        super().__init__(
            in_c=in_c,
            out_c=out_c,
            kernel_sz=kernel_sz,
            padding=padding,
            stride=stride,
            act=act,
            bn=bn,
            lookup_init=lookup_init,
            lookup_act=lookup_act,
            bn_class=bn_class,
        )

    def set_layers(self) -> None:
        """Build the three pre-activation convolutions and the shortcut."""
        self._check_length()
        width = self.inter_c * self.cardinality
        self.layers = nn.Sequential(
            self.get_conv_layer(self.in_c, width, kernel_sz=1, stride=self.stride, pre_act=True),
            self.get_conv_layer(
                width, width, self.ks, padding=self.pad, stride=1, groups=self.cardinality, pre_act=True
            ),
            self.get_conv_layer(width, self.out_c, kernel_sz=1, stride=1, pre_act=True),
        )
        self._set_shortcut()
