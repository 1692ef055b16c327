"""Matrix inputs ``(B, objects, features)`` for heads over a few objects or constituents."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from halite.nn.backbone import InputInfo
from halite.nn.layers.norm import InputNorm
from halite.nn.lumin_legacy.base import HeadBase
from halite.typing import Masks, Tensors


@dataclass
class MatrixInputConfig:
    """Where a matrix head reads its ``(B, objects, features)`` input.

    Two layouts are accepted:

    * a constituent stream ``(B, N, F)`` (``objects`` unset): ``features`` picks and
      orders columns (default: all variables of the stream), ``sort_by`` orders the
      valid constituents by that feature (descending), ``n_objects`` truncates or
      zero-pads to a fixed count;
    * flat columns of the global object named ``{object}_{feature}`` (``objects``
      set): features missing for an object are zero-filled.

    Parameters
    ----------
    input_name
        The stream to read.
    features
        Feature names (required for the flat layout).
    objects
        Object prefixes for the flat layout, e.g. ``[lep, jet1, jet2]``.
    n_objects
        Fixed number of objects for a constituent stream (``None``: as in the batch).
    sort_by
        Constituent feature to sort by, descending (e.g. ``pt``: the leading constituents).
    normalise
        Normalise the features with the norm dict (set false for raw 4-momenta).
    """

    input_name: str
    features: list[str] | None = None
    objects: list[str] | None = None
    n_objects: int | None = None
    sort_by: str | None = None
    normalise: bool = True


class MatrixInput(torch.nn.Module):
    """Assemble ``(B, O, F)`` and a pad mask ``(B, O)`` (True = padding) from the model inputs."""

    cols: Tensor
    present: Tensor
    norm: InputNorm | None

    def __init__(self, config: MatrixInputConfig, info: InputInfo) -> None:
        super().__init__()
        self.config = config
        stream = config.input_name
        if stream not in info.variables:
            msg = f"Matrix input reads stream '{stream}' but data.variables has {sorted(info.variables)}."
            raise ValueError(msg)
        have = list(info.variables[stream])
        self.flat = config.objects is not None
        if self.flat:
            self._build_flat(config, info, have)
        else:
            self._build_stream(config, info, have)

    def _build_flat(self, config: MatrixInputConfig, info: InputInfo, have: list[str]) -> None:
        if config.input_name != info.global_object:
            msg = (
                f"Flat matrix input (objects={config.objects}) needs the global object "
                f"'{info.global_object}', not '{config.input_name}'."
            )
            raise ValueError(msg)
        if not config.features:
            msg = "Flat matrix input needs `features` (the {object}_{feature} suffixes)."
            raise ValueError(msg)
        assert config.objects is not None
        names = [f"{o}_{f}" for o in config.objects for f in config.features]
        present = [n for n in names if n in have]
        if not present:
            msg = (
                f"None of the columns {names[:6]}... of the flat matrix input are in "
                f"data.variables.{config.input_name}. Add them or fix objects/features."
            )
            raise ValueError(msg)
        # column of each (object, feature) slot in the stream, -1 = missing (zero-filled)
        cols = [have.index(n) if n in have else -1 for n in names]
        self.register_buffer("cols", torch.tensor([max(c, 0) for c in cols], dtype=torch.long))
        self.register_buffer("present", torch.tensor([c >= 0 for c in cols], dtype=torch.bool))
        self.norm = (
            InputNorm(present, info.stream_norm(config.input_name, "Matrix input"))
            if config.normalise
            else None
        )
        self.present_names = present
        self.n_objects = len(config.objects)
        self.n_features = len(config.features)

    def _build_stream(self, config: MatrixInputConfig, info: InputInfo, have: list[str]) -> None:
        if config.input_name == info.global_object:
            msg = f"Matrix input on the global object '{config.input_name}' needs `objects` (flat layout)."
            raise ValueError(msg)
        feats = list(config.features or have)
        missing = [f for f in feats if f not in have]
        if missing:
            msg = f"Matrix input features {missing} are not in data.variables.{config.input_name} ({have})."
            raise ValueError(msg)
        if config.sort_by is not None and config.sort_by not in have:
            msg = f"Matrix input sort_by '{config.sort_by}' is not in data.variables.{config.input_name}."
            raise ValueError(msg)
        self.register_buffer("cols", torch.tensor([have.index(f) for f in feats], dtype=torch.long))
        self.sort_col = have.index(config.sort_by) if config.sort_by is not None else None
        self.norm = (
            InputNorm(feats, info.stream_norm(config.input_name, "Matrix input"))
            if config.normalise
            else None
        )
        self.n_objects = config.n_objects  # type: ignore[assignment]
        self.n_features = len(feats)

    def forward(self, inputs: Tensors, pad_masks: Masks) -> tuple[Tensor, Tensor]:
        """Return ``x`` ``(B, O, F)`` with zeros at padding and the pad mask ``(B, O)``."""
        raw = inputs[self.config.input_name]
        if self.flat:
            return self._flat(raw)
        return self._stream(raw, pad_masks[self.config.input_name])

    def _flat(self, raw: Tensor) -> tuple[Tensor, Tensor]:
        x = raw.index_select(-1, self.cols)
        if self.norm is not None:
            vals = self.norm(x[:, self.present])
            x = torch.zeros_like(x).masked_scatter(self.present.expand_as(x), vals)
        else:
            x = x * self.present.to(x.dtype)
        x = x.view(raw.shape[0], self.n_objects, self.n_features)
        return x, torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)

    def _stream(self, raw: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        if self.sort_col is not None:
            key = raw[..., self.sort_col].masked_fill(mask, float("-inf"))
            order = key.topk(key.shape[1], dim=1).indices  # TopK exports to ONNX, unlike a stable sort
            raw = raw.gather(1, order.unsqueeze(-1).expand_as(raw))
            mask = mask.gather(1, order)
        x = raw.index_select(-1, self.cols)
        if self.norm is not None:
            x = self.norm(x)
        x = x.masked_fill(mask.unsqueeze(-1), 0.0)
        if self.n_objects is not None:  # pad then cut: no branch on the batch's length (traceable)
            x = torch.nn.functional.pad(x, (0, 0, 0, self.n_objects))[:, : self.n_objects]
            mask = torch.nn.functional.pad(mask, (0, self.n_objects), value=True)[:, : self.n_objects]
        return x, mask


class MatrixHead(HeadBase):
    """A head over a matrix input; subclasses implement ``build_matrix`` and ``forward_matrix``.

    Parameters
    ----------
    matrix
        Where the input comes from (see ``MatrixInputConfig``); may be ``None`` when the
        block is used directly on tensors through ``build_matrix`` / ``forward_matrix``.
    """

    #: True if the head needs a fixed number of objects (``n_objects``)
    needs_fixed_objects = False

    def __init__(self, matrix: MatrixInputConfig | None = None, freeze: bool = False) -> None:
        super().__init__(freeze)
        self.matrix = matrix
        self.matrix_input: MatrixInput | None = None

    def build(self, info: InputInfo) -> int:
        if self.matrix is None:
            msg = f"{type(self).__name__} needs `matrix` (its input stream) to be built from the data."
            raise ValueError(msg)
        self.matrix_input = MatrixInput(self.matrix, info)
        n_obj = self.matrix_input.n_objects
        if self.needs_fixed_objects and n_obj is None:
            msg = (
                f"{type(self).__name__} over '{self.matrix.input_name}' needs a fixed number of objects: "
                f"set matrix.n_objects."
            )
            raise ValueError(msg)
        self.build_matrix(n_obj, self.matrix_input.n_features)
        return self.get_out_size()

    def build_matrix(self, n_objects: int | None, n_features: int) -> None:
        """Create the parameters for ``(B, n_objects, n_features)`` inputs."""
        raise NotImplementedError

    def _finish_build(self, out_features: int) -> int:
        super()._finish_build(out_features)
        name = self.matrix.input_name if self.matrix is not None else type(self).__name__
        self.feat_map = {name: list(range(self.out_features))}
        return self.out_features

    def forward_matrix(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """``x`` ``(B, O, F)``, pad mask ``(B, O)`` (True = padding) -> ``(B, out_features)``."""
        raise NotImplementedError

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        if self.matrix_input is None:
            msg = f"{type(self).__name__} was used before it was built from the data."
            raise RuntimeError(msg)
        x, mask = self.matrix_input(inputs, pad_masks)
        return self.forward_matrix(x, mask)
