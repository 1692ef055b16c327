"""1D convolutional blocks over ordered constituents, and a matrix head made of them."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from halite.nn.layers.activations import Activation, make_activation
from halite.nn.lumin_legacy.base import Freezable
from halite.nn.lumin_legacy.matrix import MatrixHead, MatrixInputConfig


def conv_padding(kernel_sz: int, padding: int | Literal["auto"]) -> int:
    """``auto``: ``kernel_sz // 2``, which keeps the length for odd kernels at stride 1."""
    if padding != "auto":
        return int(padding)
    if kernel_sz % 2 == 0:
        msg = f"padding='auto' keeps the length only for odd kernel sizes; got kernel_sz={kernel_sz}."
        raise ValueError(msg)
    return kernel_sz // 2


def _conv(in_c: int, out_c: int, k: int, stride: int, padding: int, act: str, groups: int = 1) -> nn.Conv1d:
    conv = nn.Conv1d(in_c, out_c, k, stride=stride, padding=padding, groups=groups)
    if act in ("relu", "prelu", "swish", "silu", "gelu", "elu", "leakyrelu"):
        nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    nn.init.zeros_(conv.bias)  # type: ignore[arg-type]
    return conv


class Conv1DBlock(Freezable):
    """``Conv1d -> activation -> [BatchNorm]`` on ``(B, C, L)``.

    Parameters
    ----------
    in_c, out_c
        Input and output channels.
    kernel_sz
        Kernel size.
    padding
        Padding, or ``auto`` to keep the length (odd kernels).
    stride
        Stride.
    act
        Activation.
    bn
        Batch normalisation after the activation.
    """

    def __init__(
        self,
        in_c: int,
        out_c: int,
        kernel_sz: int = 3,
        padding: int | Literal["auto"] = "auto",
        stride: int = 1,
        act: Activation = "relu",
        bn: bool = False,
    ) -> None:
        super().__init__()
        self.in_c, self.out_c = in_c, out_c
        layers: list[nn.Module] = [
            _conv(in_c, out_c, kernel_sz, stride, conv_padding(kernel_sz, padding), act)
        ]
        layers.append(make_activation(act))
        if bn:
            layers.append(nn.BatchNorm1d(out_c))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_c, L)`` -> ``(B, out_c, L')``."""
        return self.layers(x)  # type: ignore[no-any-return]


def _preact(c: int, act: str, bn: bool) -> nn.Sequential:
    return nn.Sequential(*([nn.BatchNorm1d(c)] if bn else []), make_activation(act))


class Res1DBlock(Freezable):
    """Pre-activation residual block (He et al., arXiv:1603.05027): ``x + conv(act(conv(act(x))))``.

    A 1x1 convolution on the shortcut matches shapes when ``stride > 1`` or the
    channel count changes.
    """

    def __init__(
        self,
        in_c: int,
        out_c: int,
        kernel_sz: int = 3,
        padding: int | Literal["auto"] = "auto",
        stride: int = 1,
        act: Activation = "relu",
        bn: bool = False,
    ) -> None:
        super().__init__()
        self.in_c, self.out_c = in_c, out_c
        pad = conv_padding(kernel_sz, padding)
        self.pre = _preact(in_c, act, bn)
        self.body = nn.Sequential(
            _conv(in_c, out_c, kernel_sz, stride, pad, act),
            _preact(out_c, act, bn),
            _conv(out_c, out_c, kernel_sz, 1, pad, act),
        )
        self.shortcut = (
            nn.Conv1d(in_c, out_c, 1, stride=stride) if stride > 1 or in_c != out_c else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_c, L)`` -> ``(B, out_c, L')``."""
        y = self.pre(x)
        return self.body(y) + self.shortcut(x)  # type: ignore[no-any-return]


class ResNeXt1DBlock(Freezable):
    """Pre-activation ResNeXt block (Xie et al., arXiv:1611.05431).

    ``1x1 conv (in_c -> inter_c) -> grouped conv (cardinality groups) -> 1x1 conv (-> out_c)``
    plus a shortcut (1x1 convolution when ``stride > 1`` or ``in_c != out_c``).
    """

    def __init__(
        self,
        in_c: int,
        inter_c: int,
        cardinality: int,
        out_c: int,
        kernel_sz: int = 3,
        padding: int | Literal["auto"] = "auto",
        stride: int = 1,
        act: Activation = "relu",
        bn: bool = False,
    ) -> None:
        super().__init__()
        if inter_c % cardinality:
            msg = f"ResNeXt1DBlock: inter_c={inter_c} must be divisible by cardinality={cardinality}."
            raise ValueError(msg)
        self.in_c, self.out_c = in_c, out_c
        pad = conv_padding(kernel_sz, padding)
        self.pre = _preact(in_c, act, bn)
        self.body = nn.Sequential(
            _conv(in_c, inter_c, 1, 1, 0, act),
            _preact(inter_c, act, bn),
            _conv(inter_c, inter_c, kernel_sz, stride, pad, act, groups=cardinality),
            _preact(inter_c, act, bn),
            _conv(inter_c, out_c, 1, 1, 0, act),
        )
        self.shortcut = (
            nn.Conv1d(in_c, out_c, 1, stride=stride) if stride > 1 or in_c != out_c else nn.Identity()
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_c, L)`` -> ``(B, out_c, L')``."""
        return self.body(self.pre(x)) + self.shortcut(x)  # type: ignore[no-any-return]


class ConvHead(MatrixHead):
    """A stack of 1D convolutions over ordered objects, pooled to one vector.

    The objects ``(B, O, F)`` are treated as a sequence of ``O`` positions with ``F``
    channels (order them with ``matrix.sort_by``). A first ``Conv1DBlock`` maps to
    ``channels[0]``, then one block per further entry of ``channels``. Padded
    positions are zeroed after every block and left out of the pooling.

    Parameters
    ----------
    channels
        Output channels of the first layer and of each block.
    block
        ``conv`` (``Conv1DBlock``), ``res`` (``Res1DBlock``) or ``resnext`` (``ResNeXt1DBlock``).
    kernel_sz
        Kernel size (odd; lengths are kept).
    cardinality
        Groups of the ResNeXt blocks (their channels must be divisible by it).
    pool
        ``mean`` / ``max`` over valid positions, or ``flatten`` (fixed object count).
    act, bn
        Activation and batch normalisation.
    matrix
        Input objects (see ``MatrixInputConfig``).
    """

    def __init__(
        self,
        channels: list[int],
        block: Literal["conv", "res", "resnext"] = "res",
        kernel_sz: int = 3,
        cardinality: int = 4,
        pool: Literal["mean", "max", "flatten"] = "mean",
        act: Activation = "relu",
        bn: bool = False,
        matrix: MatrixInputConfig | None = None,
        freeze: bool = False,
    ) -> None:
        super().__init__(matrix, freeze)
        if not channels:
            msg = "ConvHead needs at least one entry in `channels`."
            raise ValueError(msg)
        conv_padding(kernel_sz, "auto")
        self.channels, self.block, self.kernel_sz = list(channels), block, kernel_sz
        self.cardinality, self.pool, self.act, self.bn = cardinality, pool, act, bn
        self.needs_fixed_objects = pool == "flatten"

    def build_matrix(self, n_objects: int | None, n_features: int) -> None:
        k, act, bn = self.kernel_sz, self.act, self.bn
        layers: list[nn.Module] = [Conv1DBlock(n_features, self.channels[0], k, "auto", 1, act, bn)]
        for c_in, c_out in zip(self.channels[:-1], self.channels[1:]):
            if self.block == "conv":
                layers.append(Conv1DBlock(c_in, c_out, k, "auto", 1, act, bn))
            elif self.block == "res":
                layers.append(Res1DBlock(c_in, c_out, k, "auto", 1, act, bn))
            else:
                layers.append(ResNeXt1DBlock(c_in, c_out, self.cardinality, c_out, k, "auto", 1, act, bn))
        self.layers = nn.ModuleList(layers)
        self.n_objects = n_objects
        out = self.channels[-1] * (int(n_objects or 0) if self.pool == "flatten" else 1)
        self._finish_build(out)

    def forward_matrix(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """``x`` ``(B, O, F)``, pad mask ``(B, O)`` -> ``(B, out_features)``."""
        if mask is None:
            mask = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
        keep = (~mask).unsqueeze(1).to(x.dtype)  # (B, 1, O)
        h = x.transpose(1, 2) * keep
        for layer in self.layers:
            h = layer(h) * keep
        if self.pool == "mean":
            return h.sum(-1) / keep.sum(-1).clamp(min=1.0)
        if self.pool == "max":
            return h.masked_fill(keep == 0, float("-inf")).amax(-1).nan_to_num(0.0, neginf=0.0)
        return h.flatten(1)
