"""``AbsHead`` and ``AbsMatrixHead``: the bases of lumin's heads (lumin's ``blocks.head``).

A head reads lumin's flat input ``(B, n_features)``, whose columns are named by ``cont_feats`` (then the
categorical features). A matrix head also reads objects: features named ``{vec}_{feat}`` in the flat
input are gathered into a matrix, row-wise ``(B, n_vecs, n_feats_per_vec)`` or column-wise
``(B, n_feats_per_vec, n_vecs)``; features absent from ``cont_feats`` are zero. A matrix head also
takes the matrix directly (a 3-d tensor, or the second element of a ``(flat, matrix)`` tuple).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import AbsBlock, LookupInit
from halite.nn.lumin.activations import lookup_act as default_lookup_act
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["AbsHead", "AbsMatrixHead", "HeadInput"]

HeadInput = Tensor | tuple[Tensor, Tensor]


class AbsHead(AbsBlock):
    """Base of every head: the input feature names and the categorical embedder.

    Parameters
    ----------
    cont_feats
        Names of the continuous input features, in column order.
    cat_embedder
        Description of the categorical features and their embeddings (a ``CatEmbedder``), or None.
    lookup_init, freeze
        As for ``AbsBlock``.
    """

    feat_map: dict[str, list[int]]

    def __init__(
        self,
        cont_feats: list[str],
        cat_embedder: Any = None,
        lookup_init: LookupInit = lookup_normal_init,
        freeze: bool = False,
    ) -> None:
        super().__init__(lookup_init=lookup_init, freeze=freeze)
        self.cont_feats, self.cat_embedder = list(cont_feats), cat_embedder
        self.n_cont_in = len(self.cont_feats)
        self.n_cat_in: int = cat_embedder.n_cat_in if cat_embedder is not None else 0
        self.cat_feats: list[str] = list(cat_embedder.cat_names) if cat_embedder is not None else []
        self.n_matrix_in: int = 0
        self.matrix_feats: list[str] = []

    @abstractmethod
    def _map_outputs(self) -> Any:
        """Set ``feat_map``: input feature name -> the output columns it feeds."""


class AbsMatrixHead(AbsHead):
    """Base of heads over a matrix of objects x features.

    Parameters
    ----------
    cont_feats
        The matrix features present in the flat input, in column order, named ``{vec}_{feat}``.
    vecs
        The objects (feature-name prefixes).
    feats_per_vec
        The features of each object (feature-name suffixes).
    row_wise
        Matrix layout: ``(B, n_vecs, n_fpv)`` when true, ``(B, n_fpv, n_vecs)`` when false.
    lookup_init, freeze
        As for ``AbsBlock``.
    lookup_act
        ``name -> activation`` used for every activation of the head.
    bn_class
        Batch-norm class, called with the number of features.
    """

    lookup: Tensor
    missing: Tensor

    def __init__(
        self,
        cont_feats: list[str],
        vecs: list[str],
        feats_per_vec: list[str],
        row_wise: bool = True,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
        **kargs: Any,
    ) -> None:
        super().__init__(cont_feats=cont_feats, cat_embedder=None, lookup_init=lookup_init, freeze=freeze)
        if row_wise is None:
            msg = (
                f"{type(self).__name__}: row_wise is None; a subclass must set it to True (objects x features) "
                "or False (features x objects)."
            )
            raise ValueError(msg)
        self.vecs, self.fpv, self.row_wise = list(vecs), list(feats_per_vec), bool(row_wise)
        self.lookup_act, self.bn_class = lookup_act, bn_class
        self.n_v, self.n_fpv = len(self.vecs), len(self.fpv)
        self._build_lookup()

    def _build_lookup(self) -> None:
        """Index of every matrix element in the flat input; elements absent from ``cont_feats`` are marked missing."""
        index = {f: i for i, f in enumerate(self.cont_feats)}
        names = [[f"{v}_{c}" for c in self.fpv] for v in self.vecs]  # (n_v, n_fpv)
        if not self.row_wise:
            names = [list(col) for col in zip(*names, strict=True)] if names else []
        flat = [n for row in names for n in row]
        self.register_buffer(
            "lookup", torch.tensor([index.get(n, 0) for n in flat], dtype=torch.long), persistent=False
        )
        self.register_buffer(
            "missing", torch.tensor([n not in index for n in flat], dtype=torch.bool), persistent=False
        )

    def _get_matrix(self, x: Tensor) -> Tensor:
        """Flat input ``(B, n_features)`` -> matrix ``(B, n_v, n_fpv)`` (row-wise) or ``(B, n_fpv, n_v)``."""
        mat = x[:, self.lookup]
        mat[:, self.missing] = 0
        shape = (self.n_v, self.n_fpv) if self.row_wise else (self.n_fpv, self.n_v)
        return mat.reshape(x.size(0), *shape)

    def _process_input(self, x: HeadInput) -> Tensor:
        """The matrix: the tuple's second element, a 3-d tensor as given, or gathered from flat input."""
        if isinstance(x, tuple):
            x = x[1]
        return self._get_matrix(x) if x.dim() <= 2 else x

    @abstractmethod
    def forward(self, x: HeadInput) -> Tensor:  # type: ignore[override]
        """Flat input, a matrix, or ``(flat, matrix)`` -> ``(B, get_out_size())``."""
