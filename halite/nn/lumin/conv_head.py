"""``AbsConv1dHead``: lumin 0.9.1's base of 1D-convolutional matrix heads, and ``ConvHead``, a concrete one.

The head reads the objects column-wise, ``(B, n_feats_per_vec, n_vecs)``: the features of an object are
the channels and the objects are the length the kernels slide over (lumin passes ``row_wise=False``).
Flat input is gathered into that matrix; a 3-d tensor or a ``(flat, matrix)`` tuple is taken as the matrix.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import LookupInit
from halite.nn.lumin.activations import lookup_act as default_lookup_act
from halite.nn.lumin.conv_blocks import Conv1DBlock, Res1DBlock, ResNeXt1DBlock
from halite.nn.lumin.conv_pooling import AdaptiveAvgMaxConcatPool1d
from halite.nn.lumin.head_base import AbsMatrixHead, HeadInput
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["AbsConv1dHead", "ConvHead"]


class AbsConv1dHead(AbsMatrixHead):
    """Base of heads applying 1D convolutions over the objects; subclasses define ``get_layers``.

    ``layers = get_layers(in_c=n_feats_per_vec, act=act, bn=bn, **layer_kargs)`` takes the column-wise matrix
    ``(B, n_fpv, n_v)``; ``forward`` flattens its output per sample, and the width of that is found at
    construction by ``check_out_sz``. The ``get_conv1d_*_block`` methods build the lumin blocks with the
    head's ``lookup_init``, ``lookup_act`` and ``bn_class``.

    Parameters
    ----------
    cont_feats
        The matrix features present in the flat input, in column order, named ``{vec}_{feat}`` (absent ones are zero).
    vecs
        The objects (feature-name prefixes): the length of the convolutions.
    feats_per_vec
        The features of each object (feature-name suffixes): the input channels.
    act, bn
        Passed to ``get_layers``.
    layer_kargs
        Further keyword arguments of ``get_layers``.
    lookup_init, lookup_act, bn_class
        Used by the ``get_conv1d_*`` builders.
    freeze
        Start with every parameter untrainable.

    Examples
    --------
    >>> class MyCNN(AbsConv1dHead):
    ...     def get_layers(self, act='relu', bn=False, **kargs):
    ...         return nn.Sequential(
    ...             self.get_conv1d_block(3, 16, stride=1, kernel_sz=3, act=act, bn=bn),
    ...             self.get_conv1d_block(16, 32, stride=2, kernel_sz=3, act=act, bn=bn),
    ...             nn.AdaptiveAvgPool1d(1))
    >>> cnn = MyCNN(cont_feats=matrix_feats, vecs=vectors, feats_per_vec=feats_per_vec)
    """

    def __init__(
        self,
        cont_feats: list[str],
        vecs: list[str],
        feats_per_vec: list[str],
        act: str = "relu",
        bn: bool = False,
        layer_kargs: dict[str, Any] | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
        **kargs: Any,
    ) -> None:
        super().__init__(
            cont_feats=cont_feats,
            vecs=vecs,
            feats_per_vec=feats_per_vec,
            row_wise=False,
            lookup_init=lookup_init,
            lookup_act=lookup_act,
            freeze=freeze,
            bn_class=bn_class,
        )
        self.layers: nn.Module = self.get_layers(in_c=self.n_fpv, act=act, bn=bn, **(layer_kargs or {}))
        self.out_sz = self.check_out_sz()
        if self.freeze:
            self.freeze_layers()
        self._map_outputs()

    def _map_outputs(self) -> None:
        self.feat_map = {f: list(range(self.get_out_size())) for f in self.cont_feats}

    def check_out_sz(self) -> int:
        """Width of the output, from one pass (eval mode) of a random ``(1, n_fpv, n_v)`` matrix.

        The random matrix is drawn from torch's global generator, as in lumin, so a seeded build of a whole
        model draws the same numbers as lumin's.
        """
        x = torch.rand((1, self.n_fpv, self.n_v))
        training = self.training
        self.eval()
        with torch.no_grad():
            out = self.forward(x)
        if training:
            self.train()
        return int(out.size(-1))

    def _block_lookups(self) -> dict[str, Any]:
        """The head's lookups and batch-norm class, given to every block it builds."""
        return {"lookup_act": self.lookup_act, "lookup_init": self.lookup_init, "bn_class": self.bn_class}

    def get_conv1d_block(
        self,
        in_c: int,
        out_c: int,
        kernel_sz: int,
        padding: int | str = "auto",
        stride: int = 1,
        act: str = "relu",
        bn: bool = False,
    ) -> Conv1DBlock:
        """A ``Conv1DBlock`` (weights -> activation -> batch norm) with the head's lookups and batch norm."""
        return Conv1DBlock(
            in_c=in_c,
            out_c=out_c,
            kernel_sz=kernel_sz,
            padding=padding,
            stride=stride,
            act=act,
            bn=bn,
            **self._block_lookups(),
        )

    def get_conv1d_res_block(
        self,
        in_c: int,
        out_c: int,
        kernel_sz: int,
        padding: int | str = "auto",
        stride: int = 1,
        act: str = "relu",
        bn: bool = False,
    ) -> Res1DBlock:
        """A ``Res1DBlock`` (pre-activation: batch norm -> activation -> weights) with the head's lookups."""
        return Res1DBlock(
            in_c=in_c,
            out_c=out_c,
            kernel_sz=kernel_sz,
            padding=padding,
            stride=stride,
            act=act,
            bn=bn,
            **self._block_lookups(),
        )

    def get_conv1d_resNeXt_block(
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
    ) -> ResNeXt1DBlock:
        """A ``ResNeXt1DBlock`` (``cardinality`` groups of ``inter_c`` channels) with the head's lookups."""
        return ResNeXt1DBlock(
            in_c=in_c,
            inter_c=inter_c,
            cardinality=cardinality,
            out_c=out_c,
            kernel_sz=kernel_sz,
            padding=padding,
            stride=stride,
            act=act,
            bn=bn,
            **self._block_lookups(),
        )

    @abstractmethod
    def get_layers(self, in_c: int, act: str = "relu", bn: bool = False, **kargs: Any) -> nn.Module:
        """The network: one module taking ``(B, in_c, n_v)`` (``in_c = n_fpv``), to be defined by subclasses."""

    def forward(self, x: HeadInput) -> Tensor:
        """Flat ``(B, n_features)``, matrix ``(B, n_fpv, n_v)`` or ``(flat, matrix)`` -> ``(B, get_out_size())``."""
        mat = self._process_input(x)
        return self.layers(mat).view(mat.size(0), -1)  # type: ignore[no-any-return]

    def get_out_size(self) -> int:
        """Width of the output (``check_out_sz`` at construction)."""
        return self.out_sz


BLOCK_KINDS = ("conv", "res", "resnext")
POOLS = {
    "avg": lambda: nn.AdaptiveAvgPool1d(1),
    "max": lambda: nn.AdaptiveMaxPool1d(1),
    "avgmax": lambda: AdaptiveAvgMaxConcatPool1d(1),
    "flatten": None,
}
_BLOCK_KEYS = {"kind", "out_c", "kernel_sz", "padding", "stride", "act", "bn", "inter_c", "cardinality"}


class ConvHead(AbsConv1dHead):
    """An ``AbsConv1dHead`` whose layers are given as arguments (YAML-friendly): blocks, then a pooling.

    Each block spec is a mapping with ``out_c`` and optionally ``kind`` (``'conv'``: ``Conv1DBlock``, the
    default; ``'res'``: ``Res1DBlock``; ``'resnext'``: ``ResNeXt1DBlock``, which also needs ``inter_c`` and
    ``cardinality``), ``kernel_sz`` (3), ``stride`` (1), ``padding`` (``'auto'``), ``act`` and ``bn`` (the
    head's ``act`` and ``bn``). The input channels of a block are the output channels of the one before
    (the first takes ``n_fpv``). The blocks are built by the ``get_conv1d_*`` methods, so the state dict is
    that of the equivalent lumin subclass: ``layers.<i>...`` with the pooling last.

    Parameters
    ----------
    cont_feats, vecs, feats_per_vec, act, bn, layer_kargs, lookup_init, lookup_act, freeze, bn_class
        As for ``AbsConv1dHead``.
    blocks
        The block specs, in order (at least one).
    pool
        ``'avg'`` (``AdaptiveAvgPool1d(1)``), ``'max'`` (``AdaptiveMaxPool1d(1)``), ``'avgmax'``
        (``AdaptiveAvgMaxConcatPool1d(1)``: max then mean, twice the channels) or ``'flatten'`` (no pooling:
        the output is ``out_c * L`` wide).

    Examples
    --------
    >>> head = ConvHead(cont_feats, vecs, feats_per_vec, blocks=[
    ...     {'out_c': 16}, {'kind': 'res', 'out_c': 32, 'stride': 2},
    ...     {'kind': 'resnext', 'out_c': 32, 'inter_c': 4, 'cardinality': 4}], pool='avg')
    """

    def __init__(
        self,
        cont_feats: list[str],
        vecs: list[str],
        feats_per_vec: list[str],
        act: str = "relu",
        bn: bool = False,
        layer_kargs: dict[str, Any] | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
        *,
        blocks: Sequence[Mapping[str, Any]],
        pool: str = "avg",
        **kargs: Any,
    ) -> None:
        self.blocks, self.pool = [dict(b) for b in blocks], pool
        self._check_specs()
        super().__init__(
            cont_feats=cont_feats,
            vecs=vecs,
            feats_per_vec=feats_per_vec,
            act=act,
            bn=bn,
            layer_kargs=layer_kargs,
            lookup_init=lookup_init,
            lookup_act=lookup_act,
            freeze=freeze,
            bn_class=bn_class,
        )

    def _check_specs(self) -> None:
        if not self.blocks:
            msg = "ConvHead: blocks is empty; give at least one block spec, e.g. [{'out_c': 16}]."
            raise ValueError(msg)
        if self.pool not in POOLS:
            msg = f"ConvHead: unknown pool '{self.pool}'; valid: {list(POOLS)}."
            raise ValueError(msg)
        for i, b in enumerate(self.blocks):
            kind = b.get("kind", "conv")
            if kind not in BLOCK_KINDS:
                msg = f"ConvHead: blocks[{i}] has unknown kind '{kind}'; valid: {list(BLOCK_KINDS)}."
                raise ValueError(msg)
            unknown = sorted(set(b) - _BLOCK_KEYS)
            need = ["out_c"] + (["inter_c", "cardinality"] if kind == "resnext" else [])
            missing = [k for k in need if k not in b]
            if unknown or missing:
                msg = (
                    f"ConvHead: blocks[{i}] ({kind}) has unknown keys {unknown} / lacks {missing}; "
                    f"required: {need}, valid keys: {sorted(_BLOCK_KEYS)}."
                )
                raise ValueError(msg)

    def get_layers(self, in_c: int, act: str = "relu", bn: bool = False, **kargs: Any) -> nn.Module:
        """The blocks of ``blocks`` (each fed the channels of the one before), then the pooling."""
        layers: list[nn.Module] = []
        for b in self.blocks:
            kind = b.get("kind", "conv")
            common = {
                "kernel_sz": b.get("kernel_sz", 3),
                "padding": b.get("padding", "auto"),
                "stride": b.get("stride", 1),
                "act": b.get("act", act),
                "bn": b.get("bn", bn),
            }
            if kind == "conv":
                layers.append(self.get_conv1d_block(in_c, b["out_c"], **common))
            elif kind == "res":
                layers.append(self.get_conv1d_res_block(in_c, b["out_c"], **common))
            else:
                layers.append(
                    self.get_conv1d_resNeXt_block(in_c, b["inter_c"], b["cardinality"], b["out_c"], **common)
                )
            in_c = b["out_c"]
        pool = POOLS[self.pool]
        if pool is not None:
            layers.append(pool())
        return nn.Sequential(*layers)
