"""``InteractionNet``: lumin 0.9.1's interaction-network head (``blocks.head.OldInteractionNet``).

lumin 0.9.1 documents it as ``lumin.nn.models.blocks.head.InteractionNet``; in its code the class is
``OldInteractionNet``. Both names are exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import LookupInit
from halite.nn.lumin.activations import lookup_act as default_lookup_act
from halite.nn.lumin.batchnorms import LCBatchNorm1d
from halite.nn.lumin.head_base import AbsMatrixHead, HeadInput
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["EDGE_MODES", "InteractionNet", "OldInteractionNet"]

EDGE_MODES = ("lumin", "all_pairs")
AGG_METHODS = ("sum", "flatten")


class InteractionNet(AbsMatrixHead):
    """Interaction network (Battaglia et al., arXiv:1612.00222) over a column-wise matrix of objects.

    The matrix ``O: (B, n_fpv, n_v)`` (features x objects, built from the flat input as ``AbsMatrixHead``
    does, or given) is sent along ``n_e = n_v (n_v - 1)`` edges with the receiver / sender matrices
    ``R_r, R_s: (n_v, n_e)``. ``f_R`` maps each edge's ``[O R_r; O R_s]`` column ``(2 n_fpv)`` to an effect
    ``(intfunc_out_sz)``; the effects are summed at each receiver (``E R_r^T``), and ``f_O`` maps each
    object's ``[O; E R_r^T]`` column ``(n_fpv + intfunc_out_sz)`` to ``(outfunc_out_sz)``, giving
    ``P: (B, outfunc_out_sz, n_v)``. Output: ``P.sum(2)`` (``agg_method='sum'``, ``(B, outfunc_out_sz)``) or
    ``P.reshape(B, -1)`` (``'flatten'``, ``(B, outfunc_out_sz * n_v)``, feature-major: column
    ``k * n_v + v`` is feature ``k`` of object ``v``), as lumin.

    ``f_R`` and ``f_O`` are ``intfunc_depth`` / ``outfunc_depth`` layers, each
    ``Linear -> act (unless 'linear') -> LCBatchNorm1d (bn) -> Dropout (do; AlphaDropout for selu)``; the
    activation, batch norm and dropout also follow the last layer, as in lumin's code (its docstring says
    "hidden layers").

    Parameters
    ----------
    cont_feats
        The matrix features present in the flat input (``{vec}_{feat}``), in column order; absent ones are 0.
    vecs
        The objects (feature-name prefixes, the matrix columns).
    feats_per_vec
        The features of each object (feature-name suffixes, the matrix rows).
    intfunc_depth, intfunc_width, intfunc_out_sz
        Layers, hidden width and output width of ``f_R`` (the relation / interaction function).
    outfunc_depth, outfunc_width, outfunc_out_sz
        Layers, hidden width and output width of ``f_O`` (the object function).
    agg_method
        ``'sum'`` or ``'flatten'`` (case-insensitive).
    do
        Dropout rate after every layer (0: none).
    bn
        Batch norm after every layer's activation.
    act
        Activation name for ``lookup_act``.
    lookup_init, lookup_act, freeze, bn_class
        As for ``AbsMatrixHead``.
    edges
        Which objects interact. ``'lumin'`` (default): lumin 0.9.1's ``R_r`` / ``R_s`` - edge ``e`` has sender
        ``e % n_v`` and receiver ``(e - 1) % n_v``, so each object receives only from the next object
        (cyclically), ``n_v - 1`` times over (its summed effect is ``n_v - 1`` times one edge's); for
        ``n_v = 2`` this is all pairs. ``'all_pairs'``: the paper's graph, every ordered pair ``i != j`` once
        (same parameters, state dict and output size).
    """

    mat_rr: Tensor
    mat_rs: Tensor
    mat_rr_t: Tensor

    def __init__(
        self,
        cont_feats: list[str],
        vecs: list[str],
        feats_per_vec: list[str],
        intfunc_depth: int,
        intfunc_width: int,
        intfunc_out_sz: int,
        outfunc_depth: int,
        outfunc_width: int,
        outfunc_out_sz: int,
        agg_method: str,
        do: float = 0,
        bn: bool = False,
        act: str = "relu",
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
        edges: str = "lumin",
        **kargs: Any,
    ) -> None:
        super().__init__(
            cont_feats=cont_feats,
            vecs=vecs,
            feats_per_vec=feats_per_vec,
            row_wise=False,
            lookup_act=lookup_act,
            lookup_init=lookup_init,
            freeze=freeze,
            bn_class=bn_class,
        )
        self.intfunc_depth, self.intfunc_width, self.intfunc_out_sz = (
            intfunc_depth,
            intfunc_width,
            intfunc_out_sz,
        )
        self.outfunc_depth, self.outfunc_width, self.outfunc_out_sz = (
            outfunc_depth,
            outfunc_width,
            outfunc_out_sz,
        )
        self.do, self.bn, self.act = do, bn, act
        self._check_agg_method(agg_method)
        if edges not in EDGE_MODES:
            msg = f"InteractionNet: edges='{edges}' is not one of {list(EDGE_MODES)}; use 'lumin' or 'all_pairs'."
            raise ValueError(msg)
        self.edges = edges
        self.n_e = self.n_v * (self.n_v - 1)
        mat_rr, mat_rs = self._get_mat_r()
        self.register_buffer("mat_rr", mat_rr, persistent=False)
        self.register_buffer("mat_rs", mat_rs, persistent=False)
        self.register_buffer("mat_rr_t", mat_rr.t().contiguous(), persistent=False)
        self.fr = self._get_nn(
            fan_in=2 * self.n_fpv,
            width=self.intfunc_width,
            fan_out=self.intfunc_out_sz,
            depth=self.intfunc_depth,
        )
        self.fo = self._get_nn(
            fan_in=self.n_fpv + self.intfunc_out_sz,
            width=self.outfunc_width,
            fan_out=self.outfunc_out_sz,
            depth=self.outfunc_depth,
        )
        self._map_outputs()
        if self.freeze:
            self.freeze_layers()

    def _map_outputs(self) -> None:
        """``feat_map``: every matrix feature feeds every output column."""
        self.feat_map = {f: list(range(self.get_out_size())) for f in self.cont_feats}

    def _check_agg_method(self, agg_method: str) -> None:
        """Set ``agg_method`` (lower-cased) or raise for an unknown one."""
        method = agg_method.lower()
        if method not in AGG_METHODS:
            msg = f"InteractionNet: agg_method='{agg_method}' is not one of {list(AGG_METHODS)}."
            raise ValueError(msg)
        self.agg_method = method

    def _get_nn(self, fan_in: int, width: int, fan_out: int, depth: int) -> nn.Sequential:
        """``depth`` layers ``fan_in -> width -> ... -> fan_out``, as ``nn.Sequential``."""
        return nn.Sequential(
            *[
                self._get_layer(fan_in if i == 0 else width, width if i + 1 < depth else fan_out)
                for i in range(depth)
            ]
        )

    def _get_layer(self, fan_in: int, fan_out: int) -> nn.Sequential:
        """``Linear -> act -> LCBatchNorm1d -> Dropout`` (the last three as configured) over ``(B, L, fan_in)``."""
        linear = nn.Linear(fan_in, fan_out)
        self.lookup_init(self.act, fan_in, fan_out)(linear.weight)
        nn.init.zeros_(linear.bias)
        layers: list[nn.Module] = [linear]
        if self.act != "linear":
            layers.append(self.lookup_act(self.act))
        if self.bn:
            layers.append(LCBatchNorm1d(self.bn_class(fan_out)))
        if self.do:
            layers.append(nn.AlphaDropout(self.do) if self.act == "selu" else nn.Dropout(self.do))
        return nn.Sequential(*layers)

    def _get_mat_r(self) -> tuple[Tensor, Tensor]:
        """Receiver and sender matrices ``(n_v, n_e)``: ``R[v, e] = 1`` when object ``v`` receives / sends edge ``e``."""
        mat_rr, mat_rs = torch.zeros((self.n_v, self.n_e)), torch.zeros((self.n_v, self.n_e))
        if self.edges == "lumin":
            for e in range(self.n_e):
                mat_rr[e % self.n_v, (e + 1) % self.n_e] = 1
                mat_rs[e % self.n_v, e] = 1
        else:
            pairs = [(r, s) for r in range(self.n_v) for s in range(self.n_v) if r != s]
            for e, (r, s) in enumerate(pairs):
                mat_rr[r, e] = 1
                mat_rs[s, e] = 1
        return mat_rr, mat_rs

    def forward(self, x: HeadInput) -> Tensor:
        """Flat ``(B, n_cont_in)``, matrix ``(B, n_fpv, n_v)`` or ``(flat, matrix)`` -> ``(B, get_out_size())``."""
        mat_i = self._process_input(x)
        mat_o = torch.cat((mat_i @ self.mat_rr, mat_i @ self.mat_rs), 1)  # (B, 2 n_fpv, n_e)
        mat_o = self.fr(mat_o.transpose(1, 2)).transpose(1, 2)  # (B, intfunc_out_sz, n_e)
        mat_o = torch.cat((mat_i, mat_o @ self.mat_rr_t), 1)  # (B, n_fpv + intfunc_out_sz, n_v)
        mat_o = self.fo(mat_o.transpose(1, 2)).transpose(1, 2)  # (B, outfunc_out_sz, n_v)
        if self.agg_method == "sum":
            return mat_o.sum(2)
        return mat_o.reshape(mat_i.size(0), -1)

    def get_out_size(self) -> int:
        """``outfunc_out_sz`` (sum) or ``outfunc_out_sz * n_v`` (flatten)."""
        return self.outfunc_out_sz if self.agg_method == "sum" else self.outfunc_out_sz * self.n_v


#: lumin 0.9.1's class name for this block
OldInteractionNet = InteractionNet
