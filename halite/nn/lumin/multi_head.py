"""``MultiHead``: a flat head and a matrix head side by side (lumin's ``blocks.head.MultiHead``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from halite.nn.lumin.abs_block import LookupInit
from halite.nn.lumin.cat_emb_head import CatEmbHead
from halite.nn.lumin.head_base import AbsHead, AbsMatrixHead, HeadInput
from halite.nn.lumin.helpers import CatEmbedder
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["MultiHead"]


class MultiHead(AbsHead):
    """Flat features through ``flat_head``, matrix features through ``matrix_head``, outputs concatenated.

    The flat input ``(B, len(cont_feats) + n_cat_in)`` has the columns ``cont_feats`` (flat and matrix
    features mixed, in any order) then the categorical codes. The matrix features are the ``cont_feats``
    named ``{vec}_{feat}`` for the ``vecs`` / ``feats_per_vec`` keywords of the ``matrix_head`` partial; each
    feature goes to one head only. ``flat_head`` gets the other continuous features and the categorical codes
    (``flat_lookup``), ``matrix_head`` the matrix features in ``cont_feats`` order (``matrix_lookup``). A tuple
    ``(flat, matrix)`` sends ``flat`` to ``flat_head`` and ``matrix`` to ``matrix_head`` as given. Output
    ``(B, flat_head.get_out_size() + matrix_head.get_out_size())``, flat part first.

    Parameters
    ----------
    cont_feats
        Names of the continuous and matrix input features, in column order.
    matrix_head
        ``functools.partial`` of a matrix head (e.g. ``InteractionNet``) with ``vecs`` and ``feats_per_vec``
        among its keywords; called with ``cont_feats=<matrix features>, cat_embedder=None, lookup_init,
        freeze, **kargs``.
    flat_head
        Head class or partial for the flat features, called with ``cont_feats=<flat continuous features>,
        cat_embedder, lookup_init, freeze, **kargs``.
    cat_embedder
        The categorical features (given to ``flat_head``).
    lookup_init, freeze
        Passed to both heads.
    **kargs
        Passed to both heads.

    Notes
    -----
    After construction ``cont_feats`` / ``n_cont_in`` are the flat continuous features only, as in lumin.
    lumin 0.9.1's ``_map_outputs`` offsets ``matrix_head.feat_map[f][i]`` for ``i`` in the map's *values*; that
    is right only when the values are ``0 .. n - 1`` (as ``InteractionNet``'s) and fails or maps wrongly
    otherwise. Here each value is offset by the flat head's output size (the same map for lumin's heads).
    """

    flat_lookup: Tensor
    matrix_lookup: Tensor

    def __init__(
        self,
        cont_feats: list[str],
        matrix_head: Callable[..., AbsMatrixHead],
        flat_head: Callable[..., AbsHead] = CatEmbHead,
        cat_embedder: CatEmbedder | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        freeze: bool = False,
        **kargs: Any,
    ) -> None:
        super().__init__(
            cont_feats=cont_feats, cat_embedder=cat_embedder, lookup_init=lookup_init, freeze=freeze
        )
        self._set_feats(matrix_head)
        self.flat_head = flat_head(
            cont_feats=[f for f in self.flat_feats if f in self.cont_feats],
            cat_embedder=self.cat_embedder,
            lookup_init=self.lookup_init,
            freeze=self.freeze,
            **kargs,
        )
        self.matrix_head = matrix_head(
            cont_feats=self.matrix_feats,
            cat_embedder=None,
            lookup_init=self.lookup_init,
            freeze=self.freeze,
            **kargs,
        )
        self.cont_feats, self.n_cont_in = self.flat_head.cont_feats, self.flat_head.n_cont_in
        self._map_outputs()
        self._build_lookups()

    def _set_feats(self, matrix_head: Callable[..., AbsMatrixHead]) -> None:
        """Split the inputs: ``matrix_feats`` (the ``{vec}_{feat}`` names in ``cont_feats``) and ``flat_feats``."""
        keywords = getattr(matrix_head, "keywords", None)
        if keywords is None:
            msg = (
                f"MultiHead: matrix_head must be a functools.partial with vecs= and feats_per_vec= keywords "
                f"(got {matrix_head!r}); e.g. partial(InteractionNet, vecs=vecs, feats_per_vec=feats_per_vec, ...)."
            )
            raise TypeError(msg)
        self.feats = self.cont_feats + self.cat_feats
        elements: set[str] = set()
        if "vecs" in keywords and "feats_per_vec" in keywords:
            elements = {f"{v}_{c}" for v in keywords["vecs"] for c in keywords["feats_per_vec"]}
        self.matrix_feats = [f for f in self.cont_feats if f in elements]
        self.n_matrix_in = len(self.matrix_feats)
        matrix = set(self.matrix_feats)
        self.flat_feats = [f for f in self.feats if f not in matrix]

    def _map_outputs(self) -> None:
        """``feat_map``: the flat head's, then the matrix head's offset by the flat head's output size."""
        offset = self.flat_head.get_out_size()
        self.feat_map = {**self.flat_head.feat_map}
        for f, cols in self.matrix_head.feat_map.items():
            self.feat_map[f] = [c + offset for c in cols]

    def _build_lookups(self) -> None:
        """Input columns of the flat and the matrix features (buffers, not in the state dict)."""
        index: dict[str, int] = {}
        for i, f in enumerate(self.feats):
            index.setdefault(f, i)  # the first column of a repeated name, as lumin's list.index
        self.register_buffer(
            "flat_lookup",
            torch.tensor([index[f] for f in self.flat_feats], dtype=torch.long),
            persistent=False,
        )
        self.register_buffer(
            "matrix_lookup",
            torch.tensor([index[f] for f in self.matrix_feats], dtype=torch.long),
            persistent=False,
        )

    def forward(self, x: HeadInput) -> Tensor:  # type: ignore[override]
        """Flat ``(B, n_features)`` or ``(flat, matrix)`` -> ``(B, get_out_size())``."""
        if isinstance(x, tuple):
            return torch.cat((self.flat_head(x[0]), self.matrix_head(x[1])), 1)
        return torch.cat(
            (self.flat_head(x[:, self.flat_lookup]), self.matrix_head(x[:, self.matrix_lookup])), 1
        )

    def get_out_size(self) -> int:
        """``flat_head.get_out_size() + matrix_head.get_out_size()``."""
        return int(self.flat_head.get_out_size()) + int(self.matrix_head.get_out_size())
