"""The small fixed data the documented lumin examples use (``bench/lumin_examples.py``).

Bound to the names the ``Examples::`` of lumin 0.9.1's documentation use (``train_feats``, ``head``,
``cont_feats``, ``vecs``, ``feats_per_vec``, ``matrix_feats``, ``targets``, ``train_fy``). Imports only the
standard library, numpy and torch at module level (pandas inside the fake fold yielder).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch import Tensor

#: batch size of every example input
BATCH = 8

# ----------------------------------------------------------------------------- fixed data
#: 32 columnar features, named like HiggsML's (12 derived, 20 primary): FullyConnected and MultiBlock
train_feats = [f"DER_f{i}" for i in range(12)] + [f"PRI_f{i}" for i in range(20)]
#: what ``head.feat_map`` is in the examples: the map of a ``CatEmbHead(cont_feats=train_feats)``
head = SimpleNamespace(feat_map={f: [i] for i, f in enumerate(train_feats)})
#: continuous columnar features of the embedding heads
cont_feats = [f"cont_{i}" for i in range(6)]
#: categorical features of the fake fold yielder and their cardinalities (max value + 1 over the folds)
CAT_FEATS = {"n_jets": 5, "channel": 3}
#: objects and per-object features of the matrix heads (four-momenta, lumin's (px, py, pz, E) order)
vecs = ["j0", "j1", "j2", "l0", "l1"]
feats_per_vec = ["px", "py", "pz", "E"]
#: matrix features present in the flat data: all but ``l1_pz`` (lumin sets a missing one to zero)
matrix_feats = [f"{v}_{c}" for v in vecs for c in feats_per_vec if f"{v}_{c}" != "l1_pz"]
#: objects and features of the AbsConv1dHead examples (their first convolution takes 3 channels)
CONV_VECS = [f"c{i}" for i in range(8)]
CONV_FEATS_PER_VEC = ["pt", "eta", "phi"]
CONV_MATRIX_FEATS = [f"{v}_{c}" for v in CONV_VECS for c in CONV_FEATS_PER_VEC]
#: regression targets of the ClassRegMulti examples: 6 columns, three positive, three of mixed sign
targets = np.stack(
    [np.sin(np.arange(50) * 0.37 + k) * (1 + k) + (3.0 * (1 + k) if k < 3 else 0.0) for k in range(6)], axis=1
).astype("float32")


def fixed_input(*shape: int) -> Tensor:
    """``sin(0.3 * i)`` over the elements, reshaped to ``shape`` (float32; tests/unit/nn/lumin/weights.py's)."""
    n = 1
    for s in shape:
        n *= s
    return torch.sin(torch.arange(n, dtype=torch.float32) * 0.3).reshape(*shape)


def four_momenta(batch: int, n_v: int, mass: float = 1.0) -> Tensor:
    """Physical (px, py, pz, E) per object, ``(batch, n_v, 4)``: momenta from ``fixed_input``, E = sqrt(p^2 + m^2)."""
    p = 3.0 * fixed_input(batch, n_v, 3)
    e = torch.sqrt((p**2).sum(-1, keepdim=True) + mass**2)
    return torch.cat((p, e), -1)


def matrix_input(batch: int = BATCH) -> Tensor:
    """Flat ``(batch, len(matrix_feats))`` input of the four-momentum matrix heads, ``matrix_feats`` order."""
    mom = four_momenta(batch, len(vecs))
    cols = [mom[:, vecs.index(f.split("_")[0]), feats_per_vec.index(f.split("_")[1])] for f in matrix_feats]
    return torch.stack(cols, 1)


def cat_columns(batch: int = BATCH) -> Tensor:
    """Categorical columns (integers as floats, within each cardinality), ``(batch, len(CAT_FEATS))``."""
    i = torch.arange(batch)
    return torch.stack([((i * (3 + k)) % sz).float() for k, sz in enumerate(CAT_FEATS.values())], 1)


class FakeFoldYielder:
    """The part of lumin's ``FoldYielder`` that ``CatEmbedder.from_fy`` reads: two folds of categorical data.

    ``get_use_cat_feats()`` names the categorical features; ``len()`` counts the folds;
    ``get_df(n_folds=1, fold_idx=i, inc_inputs=True, ...)`` gives fold ``i`` as a DataFrame. Fold 0
    holds every category but the largest of each feature, fold 1 holds the largest: the cardinalities
    (``max + 1`` over all folds) are ``CAT_FEATS``'s only when every fold is read.
    """

    def __init__(self, cats: dict[str, int] = CAT_FEATS) -> None:
        self.cats = cats

    def get_use_cat_feats(self) -> list[str]:
        """Names of the categorical features, in input order."""
        return list(self.cats)

    def __len__(self) -> int:
        return 2

    def get_df(self, n_folds: int = 1, fold_idx: int = 0, inc_inputs: bool = True, **kwargs: Any) -> Any:
        """Fold ``fold_idx``'s categorical columns (pandas DataFrame; the other arguments as lumin passes them)."""
        import pandas as pd

        cols = {}
        for name, sz in self.cats.items():
            cols[name] = np.arange(12) % (sz - 1) if fold_idx == 0 else np.full(12, sz - 1)
        return pd.DataFrame(cols)


train_fy = FakeFoldYielder()
