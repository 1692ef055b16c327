"""BlockModel: lumin's head -> body blocks built from the data, as lumin's ``ModelBuilder`` does, plus task tails."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from torch import Tensor, nn

from halite.models.assembled import AssembledModel
from halite.models.lumin_inputs import FlatInput, MatrixInput, MatrixInputConfig
from halite.models.model import Model
from halite.models.multitask import global_only
from halite.nn.backbone import Backbone, InputInfo
from halite.nn.layers.norm import InputNorm
from halite.nn.lumin import (
    AbsBody,
    AbsHead,
    AbsMatrixHead,
    CatEmbedder,
    CatEmbHead,
    IdentBody,
    MultiHead,
    lookup_act,
    lookup_normal_init,
)
from halite.nn.lumin.abs_block import LookupInit
from halite.tasks.base import TaskBase
from halite.typing import Masks, Tensors

__all__ = ["BlockBackbone", "BlockModel"]

HeadFn = Callable[[list[str]], AbsHead]
MatrixHeadFn = Callable[[list[str], list[str], list[str]], AbsMatrixHead]
BodyFn = Callable[[int, dict[str, list[int]]], AbsBody]


class BlockBackbone(Backbone):
    """halite's streams -> lumin's head input -> head -> body: ``(B, body.get_out_size())``.

    The blocks are created in ``build`` with the keyword arguments lumin's ``ModelBuilder`` gives
    them: the head ``cont_feats``, ``cat_embedder``, ``lookup_init``, ``freeze``; the body ``n_in``,
    ``feat_map``, ``lookup_init``, ``lookup_act``, ``freeze``. With a ``matrix_head``, the head is
    lumin's ``MultiHead(flat_head=head, matrix_head=matrix_head)`` (or the matrix head alone when the
    global object gives no flat features); its ``vecs`` and ``feats_per_vec`` come from ``matrix``.
    """

    def __init__(
        self,
        head: HeadFn | None = None,
        body: BodyFn | None = None,
        matrix_head: MatrixHeadFn | None = None,
        matrix: MatrixInputConfig | None = None,
        cont_feats: list[str] | None = None,
        cat_embedder: CatEmbedder | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = lookup_act,
        freeze_head: bool = False,
        freeze_body: bool = False,
    ) -> None:
        super().__init__()
        if matrix_head is not None and matrix is None:
            msg = "BlockModel: matrix_head needs `matrix` (the stream or the flat objects it reads)."
            raise ValueError(msg)
        self.head_fn, self.body_fn, self.matrix_head_fn, self.matrix = head, body, matrix_head, matrix
        self.cont_feats_arg, self.cat_embedder = cont_feats, cat_embedder
        self.lookup_init, self.lookup_act = lookup_init, lookup_act
        self.freeze_head, self.freeze_body = freeze_head, freeze_body

    def build(self, info: InputInfo) -> int:
        cat_feats = list(self.cat_embedder.cat_names) if self.cat_embedder is not None else []
        glob = info.global_object
        have = list(info.variables.get(glob, [])) if glob is not None else []
        cont = (
            self.cont_feats_arg
            if self.cont_feats_arg is not None
            else [v for v in have if v not in cat_feats]
        )
        stream_matrix = self.matrix is not None and self.matrix.objects is None
        self.flat_input = FlatInput(info, cont, cat_feats) if (cont or cat_feats) else None
        self.matrix_input = MatrixInput(self.matrix, info) if stream_matrix and self.matrix else None
        self.head = self._make_head(cont)
        matrix_head = self.head.matrix_head if isinstance(self.head, MultiHead) else self.head
        self.transpose = isinstance(matrix_head, AbsMatrixHead) and not matrix_head.row_wise
        body_fn = self.body_fn if self.body_fn is not None else IdentBody
        self.body = body_fn(  # type: ignore[call-arg]
            n_in=self.head.get_out_size(),
            feat_map=self.head.feat_map,
            lookup_init=self.lookup_init,
            lookup_act=self.lookup_act,
            freeze=self.freeze_body,
        )
        self.out_features = int(self.body.get_out_size())
        return self.out_features

    def _make_head(self, cont: list[str]) -> AbsHead:
        head_fn: Any = self.head_fn if self.head_fn is not None else CatEmbHead
        common: dict[str, Any] = {"lookup_init": self.lookup_init, "freeze": self.freeze_head}
        if self.matrix_head_fn is None:
            return head_fn(cont_feats=cont, cat_embedder=self.cat_embedder, **common)  # type: ignore[no-any-return]
        assert self.matrix is not None
        feats_per_vec = (
            self.matrix_input.feats_per_vec if self.matrix_input is not None else self.matrix.features
        )
        if not feats_per_vec:
            msg = "BlockModel: matrix.features is needed for flat objects (matrix.objects)."
            raise ValueError(msg)
        vecs = self.matrix.vecs()
        matrix_head_fn: Any = self.matrix_head_fn
        matrix_fn: Any = partial(matrix_head_fn, vecs=vecs, feats_per_vec=list(feats_per_vec))
        matrix_feats = [f"{v}_{f}" for v in vecs for f in feats_per_vec]
        if self.matrix_input is None:  # flat objects: the matrix features are global columns
            matrix_feats = [f for f in cont if f in set(matrix_feats)]
            cont = [f for f in cont if f not in set(matrix_feats)]
        if not cont and not self.cat_embedder:
            return matrix_fn(cont_feats=matrix_feats, **common)  # type: ignore[no-any-return]
        return MultiHead(
            cont_feats=[*cont, *matrix_feats],
            matrix_head=matrix_fn,
            flat_head=head_fn,
            cat_embedder=self.cat_embedder,
            **common,
        )

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Flat vector and / or matrix -> head -> body: ``(B, out_features)``."""
        flat = self.flat_input(inputs) if self.flat_input is not None else None
        if self.matrix_input is None:
            return self.body(self.head(flat))  # type: ignore[no-any-return]
        matrix = self.matrix_input(inputs, pad_masks)
        if self.transpose:
            matrix = matrix.transpose(1, 2)
        x = (flat, matrix) if isinstance(self.head, MultiHead) else matrix
        return self.body(self.head(x))  # type: ignore[no-any-return]


class BlockModel(AssembledModel):
    """A lumin model on halite's data: ``head -> body -> task tails``.

    ``head``, ``body`` and ``matrix_head`` are lumin blocks given without their sizes (partials in
    Python, ``class_path`` / ``init_args`` in YAML): the model fills ``cont_feats`` from
    ``data.variables``, ``vecs`` / ``feats_per_vec`` from ``matrix``, ``n_in`` / ``feat_map`` from the
    head, as lumin's ``ModelBuilder`` does. Every task's output stage reads the body output (e.g.
    ``ClassRegMultiTask``, lumin's ``ClassRegMulti`` tail). Continuous inputs are normalised with the
    norm dict inside the model; categorical columns (``cat_embedder.cat_names``) are integer codes.
    Parameters are under ``head.``, ``body.`` and, for the inputs, ``flat_input.`` / ``matrix_input.``.

    Blocks with batch norm need ``data.length_buckets: false`` when a head reads a constituent stream:
    bucketed training batches group jets of similar multiplicity, so their batch statistics differ
    from the running ones.

    Parameters
    ----------
    tasks
        Tasks on the global object.
    head
        The head (default lumin's ``CatEmbHead``); the flat head of the ``MultiHead`` with a matrix head.
    body
        The body, e.g. lumin's ``FullyConnected`` (default ``IdentBody``: the head output as it is).
    matrix_head
        A lumin matrix head (``InteractionNet``, ``RecurrentHead``, ``LorentzBoostNet``, a conv head ...).
    matrix
        What the matrix head reads (see ``MatrixInputConfig``).
    cont_feats
        Continuous features of the global object (default: every variable that is not categorical).
    cat_embedder
        lumin's ``CatEmbedder`` for the categorical features.
    lookup_init, lookup_act
        lumin's init and activation lookups, for every block.
    freeze_head, freeze_body
        Start with the head / body untrainable.
    variables, norm_dict, class_dict, global_object
        Linked from the data section (as for ``Model``).
    """

    def __init__(
        self,
        tasks: list[TaskBase],
        head: HeadFn | None = None,
        body: BodyFn | None = None,
        matrix_head: MatrixHeadFn | None = None,
        matrix: MatrixInputConfig | None = None,
        cont_feats: list[str] | None = None,
        cat_embedder: CatEmbedder | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = lookup_act,
        freeze_head: bool = False,
        freeze_body: bool = False,
        variables: dict[str, list[str]] | None = None,
        norm_dict: str | dict | None = None,
        class_dict: str | None = None,
        global_object: str = "jets",
    ) -> None:
        super().__init__()
        if not variables:
            msg = "BlockModel needs the input variables per stream (normally linked from data.variables)."
            raise ValueError(msg)
        self.variables = {k: list(v) for k, v in variables.items()}
        self.global_object = global_object
        norm = self._load_norm(norm_dict)  # type: ignore[misc]
        self.norm_dict = {s: dict(norm[s]) for s in self.variables}
        streams = [s for s in self.variables if s != global_object]
        backbone = BlockBackbone(
            head,
            body,
            matrix_head,
            matrix,
            cont_feats,
            cat_embedder,
            lookup_init,
            lookup_act,
            freeze_head,
            freeze_body,
        )
        info = InputInfo(self.variables, norm, global_object, streams)
        out = self.attach_backbone(backbone, info, flat=True)
        self.build_tasks(tasks, global_only(type(self).__name__, global_object, out), class_dict)

    _load_norm = Model._load_norm  # the same norm-dict loading and checks as Model

    @property
    def norms(self) -> nn.ModuleDict:
        """Normalisation per stream from the norm dict (the inputs hold their own copies)."""
        return nn.ModuleDict({s: InputNorm(v, self.norm_dict[s]) for s, v in self.variables.items()})
