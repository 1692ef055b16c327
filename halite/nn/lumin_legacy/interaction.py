"""Interaction network over a small set of objects (Battaglia et al., arXiv:1612.00222)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from halite.nn.layers.activations import Activation
from halite.nn.lumin_legacy.body import stacked_mlp
from halite.nn.lumin_legacy.matrix import MatrixHead, MatrixInputConfig


class InteractionNet(MatrixHead):
    """Relational reasoning over objects: pairwise effects, then per-object updates.

    For every ordered pair of valid objects ``(i, j)``, ``i != j``, the interaction
    function ``f_R([x_i, x_j])`` gives an effect; effects are summed per receiver
    ``i``; the object function ``f_O([x_i, sum_j e_ij])`` updates each object. The
    per-object outputs are then summed over valid objects (``agg_method="sum"``,
    permutation invariant) or flattened in input order (``"flatten"``, fixed object
    count). Padded objects neither send nor contribute.

    Parameters
    ----------
    intfunc_depth, intfunc_width, intfunc_out_sz
        Layers, hidden width and output width of ``f_R``.
    outfunc_depth, outfunc_width, outfunc_out_sz
        Layers, hidden width and output width of ``f_O``.
    agg_method
        ``sum`` or ``flatten`` of the per-object outputs.
    act
        Activation of both functions.
    matrix
        Input objects (see ``MatrixInputConfig``).
    """

    def __init__(
        self,
        intfunc_depth: int = 2,
        intfunc_width: int = 32,
        intfunc_out_sz: int = 16,
        outfunc_depth: int = 2,
        outfunc_width: int = 32,
        outfunc_out_sz: int = 16,
        agg_method: Literal["sum", "flatten"] = "sum",
        act: Activation = "relu",
        matrix: MatrixInputConfig | None = None,
        freeze: bool = False,
    ) -> None:
        super().__init__(matrix, freeze)
        if agg_method not in ("sum", "flatten"):
            msg = f"InteractionNet agg_method '{agg_method}' unknown; use 'sum' or 'flatten'."
            raise ValueError(msg)
        self.needs_fixed_objects = agg_method == "flatten"
        self.intfunc_args = (intfunc_depth, intfunc_width, intfunc_out_sz)
        self.outfunc_args = (outfunc_depth, outfunc_width, outfunc_out_sz)
        self.agg_method, self.act = agg_method, act

    def build_matrix(self, n_objects: int | None, n_features: int) -> None:
        d, w, o = self.intfunc_args
        self.intfunc = stacked_mlp(2 * n_features, d, w, o, self.act)
        d2, w2, o2 = self.outfunc_args
        self.outfunc = stacked_mlp(n_features + o, d2, w2, o2, self.act)
        self.n_objects = n_objects
        if self.agg_method == "flatten" and n_objects is None:
            msg = "InteractionNet with agg_method='flatten' needs a fixed number of objects."
            raise ValueError(msg)
        self._finish_build(o2 if self.agg_method == "sum" else o2 * int(n_objects or 0))

    def forward_matrix(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """``x`` ``(B, O, F)``, pad mask ``(B, O)`` -> ``(B, out_features)``."""
        b, n, f = x.shape
        if mask is None:
            mask = torch.zeros(b, n, dtype=torch.bool, device=x.device)
        valid = (~mask).to(x.dtype)
        recv = x.unsqueeze(2).expand(b, n, n, f)
        send = x.unsqueeze(1).expand(b, n, n, f)
        effects = self.intfunc(torch.cat([recv, send], dim=-1))  # (B, O_recv, O_send, o)
        pair_ok = valid.unsqueeze(2) * valid.unsqueeze(1) * (1 - torch.eye(n, dtype=x.dtype, device=x.device))
        agg = (effects * pair_ok.unsqueeze(-1)).sum(dim=2)
        out = self.outfunc(torch.cat([x, agg], dim=-1)) * valid.unsqueeze(-1)
        if self.agg_method == "sum":
            return out.sum(dim=1)
        if not torch.jit.is_tracing() and n != self.n_objects:
            msg = f"InteractionNet (flatten) was built for {self.n_objects} objects but got {n}."
            raise ValueError(msg)
        return out.reshape(b, -1)
