"""``CatEmbedder``: the categorical features and their embedding sizes (lumin's ``lumin.nn.models.helpers``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CatEmbedder"]


class CatEmbedder:
    """Names, cardinalities and embedding widths of the categorical input features.

    A description only (no layers): ``CatEmbHead`` builds one ``nn.Embedding(cat_szs[i], emb_szs[i])`` per
    feature from it. Build it directly, from lumin's fold yielder (``from_fy``) or from arrays (``from_data``).

    Parameters
    ----------
    cat_names
        Categorical feature names, in the order of their input columns.
    cat_szs
        Cardinality (number of codes) of each feature; codes are ``0 .. cat_szs[i] - 1``.
    emb_szs
        Embedding width of each feature; None: ``min(max_emb_sz, (1 + cat_sz) // 2)`` each.
    max_emb_sz
        Cap on the computed widths (ignored when ``emb_szs`` is given).
    emb_load_path
        Folder of pretrained embeddings (``{cat_name}.h5`` files, as ``CatEmbHead.save_embeds`` writes them)
        that ``CatEmbHead`` loads on construction; kept as a ``Path``.

    Notes
    -----
    lumin 0.9.1 checks the list lengths with ``assert``; here a mismatch raises ``ValueError``.
    ``cat_szs`` and ``emb_szs`` are kept as lists of Python ints.

    Examples
    --------
    >>> CatEmbedder(cat_names=["n_jets", "channel"], cat_szs=[5, 3]).emb_szs
    [3, 2]
    """

    def __init__(
        self,
        cat_names: list[str],
        cat_szs: list[int],
        emb_szs: list[int] | None = None,
        max_emb_sz: int = 50,
        emb_load_path: Path | str | None = None,
    ) -> None:
        if len(cat_names) != len(cat_szs):
            msg = (
                f"CatEmbedder: {len(cat_names)} feature names {list(cat_names)} but {len(cat_szs)} cardinalities "
                f"{list(cat_szs)}; give one cardinality per categorical feature."
            )
            raise ValueError(msg)
        if emb_szs is not None and len(emb_szs) != len(cat_szs):
            msg = (
                f"CatEmbedder: {len(cat_szs)} features but {len(emb_szs)} embedding sizes {list(emb_szs)}; "
                "give one size per feature or emb_szs=None for the rule min(max_emb_sz, (1 + cardinality) // 2)."
            )
            raise ValueError(msg)
        self.cat_names = list(cat_names)
        self.cat_szs = [int(s) for s in cat_szs]
        self.emb_szs: list[int] = [] if emb_szs is None else [int(s) for s in emb_szs]
        self.max_emb_sz = max_emb_sz
        self.emb_load_path = None if emb_load_path is None else Path(emb_load_path)
        if emb_szs is None:
            self.calc_emb_szs()
        self.n_cat_in = len(self.cat_szs)

    def __repr__(self) -> str:
        rep = "".join(f"{n}:\t{c} --> {e}\n" for n, c, e in self)
        if self.emb_load_path is not None:
            rep += f"\nLoading pretrained embeddings from: {self.emb_load_path}"
        return rep

    def __getitem__(self, key: int | str) -> tuple[int, int]:
        """``(cardinality, embedding width)`` of feature ``key`` (its index or its name)."""
        if isinstance(key, str):
            if key not in self.cat_names:
                msg = f"CatEmbedder: no categorical feature '{key}'; known: {self.cat_names}."
                raise ValueError(msg)  # lumin: list.index raises ValueError
            key = self.cat_names.index(key)
        return self.cat_szs[key], self.emb_szs[key]

    def __iter__(self) -> Iterator[tuple[str, int, int]]:
        """``(name, cardinality, embedding width)`` per feature, in input order."""
        yield from zip(self.cat_names, self.cat_szs, self.emb_szs)

    def calc_emb_szs(self) -> None:
        """Set ``emb_szs`` by the rule ``min(max_emb_sz, (1 + cardinality) // 2)``."""
        self.emb_szs = [min(self.max_emb_sz, (1 + sz) // 2) for sz in self.cat_szs]

    @classmethod
    def from_fy(
        cls,
        fy: Any,
        emb_szs: list[int] | None = None,
        max_emb_sz: int = 50,
        emb_load_path: Path | str | None = None,
    ) -> CatEmbedder:
        """Build from lumin's training ``FoldYielder``: names and cardinalities (``1 + max code``) from its data.

        Parameters
        ----------
        fy
            Any object with what lumin's ``FoldYielder`` offers here: ``fy.get_use_cat_feats()`` (the
            categorical feature names), ``len(fy)`` (the number of folds) and
            ``fy.get_df(n_folds=1, fold_idx=i, inc_inputs=True, verbose=False, suppress_warn=True)`` returning a
            table (e.g. a pandas DataFrame) whose ``table[cat_names]`` converts with ``numpy.asarray`` to
            ``(n_rows, n_cat)`` codes. The cardinality of a feature is one plus its largest code over all folds.
        emb_szs, max_emb_sz, emb_load_path
            As for the constructor.
        """
        cat_names = list(fy.get_use_cat_feats())
        n_folds = len(fy)
        if n_folds == 0:
            msg = "CatEmbedder.from_fy: the fold yielder has no folds (len(fy) == 0); give one with training data."
            raise ValueError(msg)
        maxima = np.zeros(len(cat_names), dtype=np.int64)
        for fold_idx in range(n_folds):
            df = fy.get_df(n_folds=1, fold_idx=fold_idx, inc_inputs=True, verbose=False, suppress_warn=True)
            if cat_names:
                codes = np.asarray(df[cat_names], dtype=np.float64).reshape(-1, len(cat_names))
                fold_max = np.nanmax(codes, axis=0).astype(np.int64) if len(codes) else maxima
                maxima = fold_max if fold_idx == 0 else np.maximum(maxima, fold_max)
        return cls(
            cat_names=cat_names,
            cat_szs=[int(m) + 1 for m in maxima],
            emb_szs=emb_szs,
            max_emb_sz=max_emb_sz,
            emb_load_path=emb_load_path,
        )

    @classmethod
    def from_data(
        cls,
        columns: Mapping[str, Any],
        emb_szs: list[int] | None = None,
        max_emb_sz: int = 50,
        emb_load_path: Path | str | None = None,
    ) -> CatEmbedder:
        """Build from integer-coded training columns (a halite addition): cardinality ``1 + max code``.

        Parameters
        ----------
        columns
            Feature name -> array of its codes ``(n_rows,)``, in input-column order; the codes must be
            non-negative integers (any numeric dtype).
        emb_szs, max_emb_sz, emb_load_path
            As for the constructor.
        """
        cat_szs = []
        for name, col in columns.items():
            arr = np.asarray(col)
            if (
                arr.size == 0
                or not np.issubdtype(arr.dtype, np.number)
                or arr.min() < 0
                or np.any(arr % 1 != 0)
            ):
                msg = (
                    f"CatEmbedder.from_data: column '{name}' must hold non-negative integer codes (got dtype "
                    f"{arr.dtype}, {arr.size} values); integer-encode the categories as 0, 1, 2, ..."
                )
                raise ValueError(msg)
            cat_szs.append(int(arr.max()) + 1)
        return cls(
            cat_names=list(columns),
            cat_szs=cat_szs,
            emb_szs=emb_szs,
            max_emb_sz=max_emb_sz,
            emb_load_path=emb_load_path,
        )
