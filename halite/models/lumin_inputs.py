"""halite's inputs in lumin's layout: a flat vector per jet and, optionally, a matrix of objects.

lumin's heads read a flat tensor ``(B, n_cont + n_cat)`` whose columns are named by ``cont_feats`` (then
the categorical codes), and matrix heads a matrix ``(B, n_vecs, n_feats_per_vec)`` whose elements are
named ``{vec}_{feat}``. ``FlatInput`` and ``MatrixInput`` build both from halite's streams, so a lumin
model reads the same files as every other halite model and its exported graph takes raw inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from halite.nn.backbone import InputInfo
from halite.nn.layers.norm import InputNorm
from halite.typing import Masks, Tensors

__all__ = ["FlatInput", "MatrixInput", "MatrixInputConfig", "MomentumFormat", "descending_order"]

MomentumFormat = Literal["pt_eta_phi", "pt_eta_phi_m", "pt_eta_phi_e"]
_MOMENTUM_VARS = {"pt_eta_phi": 3, "pt_eta_phi_m": 4, "pt_eta_phi_e": 4}
FOUR_MOMENTUM = ["px", "py", "pz", "E"]  # lumin's order of a four-vector


@dataclass
class MatrixInputConfig:
    """Where a lumin matrix head reads its objects.

    Two layouts:

    * ``objects`` set: flat columns of the global object named ``{object}_{feature}``, lumin's own
      layout (``vecs = objects``, ``feats_per_vec = features``); missing columns are zero;
    * otherwise a constituent stream ``(B, N, F)``: ``features`` picks the columns (default all),
      ``sort_by`` orders the valid constituents by that feature (descending), ``n_objects`` keeps that
      many (zero-padded), ``momentum`` turns ``(pt, eta, phi[, m or E])`` into lumin's ``(px, py, pz, E)``.

    Parameters
    ----------
    input_name
        The stream to read.
    features
        Feature names (the ``feats_per_vec``).
    objects
        Object prefixes of the flat layout, e.g. ``[lep, jet1, jet2]``.
    n_objects
        Number of constituents in the matrix (the ``vecs``), default 10.
    sort_by
        Constituent feature to sort by, descending (``pt``: the leading constituents first).
    normalise
        Normalise with the norm dict (false for four-momenta, which are never normalised).
    momentum
        Format of ``features`` to convert to ``(px, py, pz, E)`` (then ``mass`` fills ``pt_eta_phi``).
    mass, scale
        Mass given to every constituent for ``pt_eta_phi``; factor applied to momenta first (0.001: MeV -> GeV).
    """

    input_name: str
    features: list[str] | None = None
    objects: list[str] | None = None
    n_objects: int = 10
    sort_by: str | None = None
    normalise: bool = True
    momentum: MomentumFormat | None = None
    mass: float = 0.0
    scale: float = 1.0

    def vecs(self) -> list[str]:
        """lumin's ``vecs``: the objects, or ``{input_name}{i}`` per constituent slot."""
        if self.objects is not None:
            return list(self.objects)
        return [f"{self.input_name}{i}" for i in range(self.n_objects)]


def descending_order(key: Tensor) -> Tensor:
    """Indices ``(B, N)`` that sort ``key`` ``(B, N)`` descending, ties in index order.

    A stable sort that exports to ONNX (``torch.sort(stable=True)`` does not, and ``topk`` orders ties
    arbitrarily: synthetic and real tracks share pt values, so the matrix, and the model's output, would
    depend on the backend). Each element's rank counts the larger keys and the equal ones before it.
    """
    n = key.shape[1]
    idx = torch.arange(n, device=key.device)
    rows, cols = key.unsqueeze(2), key.unsqueeze(1)  # [b, i, j]: element i against element j
    before = (cols > rows) | ((cols == rows) & (idx[None, None, :] < idx[None, :, None]))
    rank = before.sum(-1)
    return torch.zeros_like(rank).scatter(1, rank, idx.expand_as(rank))


class FlatInput(nn.Module):
    """The global object's continuous features (normalised) then its categorical codes: ``(B, n_cont + n_cat)``."""

    cont_idx: Tensor
    cat_idx: Tensor

    def __init__(
        self, info: InputInfo, cont_feats: list[str], cat_feats: list[str], normalise: bool = True
    ) -> None:
        super().__init__()
        stream = info.global_object
        if stream is None:
            msg = "A lumin head reads the global object (data.global_object), and there is none."
            raise ValueError(msg)
        have = list(info.variables.get(stream, []))
        missing = [v for v in [*cont_feats, *cat_feats] if v not in have]
        if missing:
            msg = f"lumin head features {missing} are not in data.variables.{stream} ({have})."
            raise ValueError(msg)
        self.stream = stream
        self.register_buffer("cont_idx", torch.tensor([have.index(v) for v in cont_feats], dtype=torch.long))
        self.register_buffer("cat_idx", torch.tensor([have.index(v) for v in cat_feats], dtype=torch.long))
        self.norm = (
            InputNorm(cont_feats, info.stream_norm(stream, "The lumin head"))
            if normalise and cont_feats
            else None
        )

    def forward(self, inputs: Tensors) -> Tensor:
        """``(B, F)`` raw global features -> ``(B, n_cont + n_cat)``."""
        raw = inputs[self.stream]
        cont = raw.index_select(-1, self.cont_idx)
        if self.norm is not None:
            cont = self.norm(cont)
        return torch.cat([cont, raw.index_select(-1, self.cat_idx)], dim=-1)


class MatrixInput(nn.Module):
    """A constituent stream as lumin's row-wise matrix ``(B, n_objects, n_feats_per_vec)``, zeros at padding."""

    cols: Tensor

    def __init__(self, config: MatrixInputConfig, info: InputInfo) -> None:
        super().__init__()
        stream = config.input_name
        if stream not in info.variables or stream == info.global_object:
            streams = [s for s in info.variables if s != info.global_object]
            msg = (
                f"matrix.input_name '{stream}' is not a constituent stream of data.variables ({streams}); "
                "for columns of the global object set matrix.objects."
            )
            raise ValueError(msg)
        have = list(info.variables[stream])
        feats = list(config.features or have)
        missing = [f for f in feats if f not in have]
        if missing:
            msg = f"matrix.features {missing} are not in data.variables.{stream} ({have})."
            raise ValueError(msg)
        if config.sort_by is not None and config.sort_by not in have:
            msg = f"matrix.sort_by '{config.sort_by}' is not in data.variables.{stream} ({have})."
            raise ValueError(msg)
        if config.momentum is not None and len(feats) != _MOMENTUM_VARS[config.momentum]:
            msg = (
                f"matrix.momentum '{config.momentum}' needs {_MOMENTUM_VARS[config.momentum]} features in that "
                f"order, got matrix.features {feats}."
            )
            raise ValueError(msg)
        if config.n_objects < 1:
            msg = f"matrix.n_objects must be >= 1, got {config.n_objects}."
            raise ValueError(msg)
        self.config = config
        self.register_buffer("cols", torch.tensor([have.index(f) for f in feats], dtype=torch.long))
        self.sort_col = have.index(config.sort_by) if config.sort_by is not None else None
        normalise = config.normalise and config.momentum is None
        self.norm = (
            InputNorm(feats, info.stream_norm(stream, "The lumin matrix input")) if normalise else None
        )
        self.feats_per_vec = list(FOUR_MOMENTUM) if config.momentum is not None else feats

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Raw ``(B, N, F)`` -> ``(B, n_objects, n_feats_per_vec)``."""
        raw, mask = inputs[self.config.input_name], pad_masks[self.config.input_name]
        if self.sort_col is not None:
            key = raw[..., self.sort_col].masked_fill(mask, float("-inf"))
            order = descending_order(key)
            raw = raw.gather(1, order.unsqueeze(-1).expand_as(raw))
            mask = mask.gather(1, order)
        x = raw.index_select(-1, self.cols)
        if self.config.momentum is not None:
            x = self._four_momenta(x)
        elif self.norm is not None:
            x = self.norm(x)
        x = x.masked_fill(mask.unsqueeze(-1), 0.0)
        n = self.config.n_objects  # pad then cut: no branch on the batch's length (traceable)
        return nn.functional.pad(x, (0, 0, 0, n))[:, :n]

    def _four_momenta(self, x: Tensor) -> Tensor:
        """``(pt, eta, phi[, m or E])`` -> ``(px, py, pz, E)``, scaled by ``scale``."""
        fmt, scale = self.config.momentum, self.config.scale
        pt, eta, phi = x[..., 0] * scale, x[..., 1], x[..., 2]
        px, py, pz = pt * torch.cos(phi), pt * torch.sin(phi), pt * torch.sinh(eta)
        if fmt == "pt_eta_phi_e":
            e = x[..., 3] * scale
        else:
            m = x[..., 3] * scale if fmt == "pt_eta_phi_m" else torch.full_like(pt, self.config.mass * scale)
            e = torch.sqrt(px**2 + py**2 + pz**2 + m**2)
        return torch.stack([px, py, pz, e], dim=-1)
