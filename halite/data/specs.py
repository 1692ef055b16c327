"""Frozen descriptions of what is read from the files: inputs, labels, normalisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

#: ``data.variables`` entry whose variables (read from the global object's dataset) are concatenated
#: to the pooled representation instead of to every constituent
GLOBAL = "GLOBAL"

#: Class names of labels known to halite (salt conventions), index = label value.
KNOWN_CLASS_NAMES: dict[str, list[str]] = {
    "flavour_label": ["bjets", "cjets", "ujets"],
    "ftagTruthOriginLabel": [
        "Pileup",
        "Fake",
        "Primary",
        "FromB",
        "FromBC",
        "FromC",
        "FromTau",
        "OtherSecondary",
    ],
}


@dataclass(frozen=True)
class LabelSpec:
    """One label read from a stream.

    Parameters
    ----------
    name
        Field name in the HDF5 dataset.
    kind
        ``"class"`` for integer class labels (int64 tensors, ``-1`` = ignore),
        ``"value"`` for float targets and weights.
    label_map
        Raw value -> class index, applied to class labels. Values not in the map
        raise an error naming the file and label.
    num_classes
        Class labels must lie in ``[0, num_classes)`` (``-1`` = ignore) after mapping.
    """

    name: str
    kind: Literal["class", "value"] = "class"
    label_map: Mapping[int, int] | None = None
    num_classes: int | None = None

    def lookup_table(self) -> tuple[np.ndarray, int] | None:
        """Dense lookup ``table[value - offset]`` for vectorised remapping (-2 = not in map)."""
        if self.label_map is None:
            return None
        keys = np.array(sorted(int(k) for k in self.label_map), dtype=np.int64)
        offset = int(keys.min())
        table = np.full(int(keys.max()) - offset + 1, -2, dtype=np.int64)
        for k, v in self.label_map.items():
            table[int(k) - offset] = int(v)
        return table, offset


@dataclass(frozen=True)
class InputSpec:
    """One input stream.

    Parameters
    ----------
    name
        Internal stream name (``jets``, ``tracks``, ...).
    dataset
        Name of the HDF5 dataset (``input_map`` value; defaults to ``name``).
    variables
        Input variables in model order.
    is_global
        True for the global object ``(B, F)``; constituent streams are ``(B, N, F)``.
    max_length
        Truncation of constituent streams (``num_inputs``); ``None`` keeps all slots.
    labels
        Labels read from this stream.
    new_variables
        ``(name, expression)`` pairs of derived variables of the stream (``data.new_variables``,
        :mod:`halite.data.derived`), usable in ``variables`` and ``labels``.
    global_ref
        ``(stream, dataset)`` of the global object, whose fields the expressions read as
        ``<stream>_<field>``.
    """

    name: str
    dataset: str
    variables: tuple[str, ...]
    is_global: bool = False
    max_length: int | None = None
    labels: tuple[LabelSpec, ...] = field(default_factory=tuple)
    new_variables: tuple[tuple[str, str], ...] = ()
    global_ref: tuple[str, str] | None = None
