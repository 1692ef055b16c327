"""Entry-range reads of branches from ROOT TTrees / RNTuples (uproot) and parquet files (awkward / pyarrow)."""

from __future__ import annotations

import difflib
import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from halite.errors import DataFileError, DataFileNotFound, DataKeyError

if TYPE_CHECKING:  # awkward (and pyarrow) are imported when a file is read
    import awkward as ak

#: file suffixes read through this package instead of h5py
COLUMNAR_SUFFIXES = (".root", ".parquet")


def is_columnar(path: str | Path) -> bool:
    """True for ROOT and parquet files (by suffix)."""
    return Path(path).suffix.lower() in COLUMNAR_SUFFIXES


def _missing(path: Path, names: Sequence[str], available: set[str], what: str) -> None:
    missing = [n for n in names if n not in available]
    if missing:
        hints = {n: difflib.get_close_matches(n, available, n=3) for n in missing}
        msg = (
            f"{path}: {what} {missing} not found (closest names: {hints}). "
            f"Fix the branch names in data.columnar."
        )
        raise DataKeyError(msg)


#: per-process cache of open ROOT trees: loading the metadata of a NanoAOD tree (~2,000 branches)
#: takes about a second, too slow to repeat every epoch
_OPEN_TREES: OrderedDict[tuple, tuple[Any, Any, set[str]]] = OrderedDict()
_MAX_OPEN_TREES = 8


def _open_tree(path: Path, tree: str) -> tuple[Any, set[str]]:
    """``(tree, branch names)`` of ``path``, opened once per process (LRU of a few files)."""
    key = (os.getpid(), str(path.resolve()), tree, path.stat().st_mtime_ns)
    if key in _OPEN_TREES:
        _OPEN_TREES.move_to_end(key)
        return _OPEN_TREES[key][1:]
    import uproot

    try:
        file = uproot.open(path)
    except Exception as err:
        msg = f"Cannot open {path} as a ROOT file ({err}). It may be truncated or not ROOT."
        raise DataFileError(msg) from err
    trees = [
        k.split(";")[0] for k, c in file.classnames().items() if c.startswith("TTree") or c == "ROOT::RNTuple"
    ]
    if tree not in trees:
        file.close()
        msg = f"{path}: no TTree/RNTuple '{tree}' (trees: {sorted(set(trees))}). Set data.columnar.tree."
        raise DataKeyError(msg)
    obj = file[tree]
    _OPEN_TREES[key] = (file, obj, set(obj.keys()))
    while len(_OPEN_TREES) > _MAX_OPEN_TREES:
        _OPEN_TREES.popitem(last=False)  # readers still using it keep it open; it closes with them
    return obj, _OPEN_TREES[key][2]


class ColumnarSource:
    """One ROOT or parquet file: entry count, branch names and entry-range reads.

    Parameters
    ----------
    path
        ``.root`` or ``.parquet`` file.
    tree
        TTree name (ROOT only).
    """

    def __init__(self, path: Path, tree: str = "Events") -> None:
        self.path = Path(path)
        if not self.path.is_file():
            msg = f"Input file not found: {self.path}. Check the path in data.*_file."
            raise DataFileNotFound(msg)
        self.kind = "parquet" if self.path.suffix.lower() == ".parquet" else "root"
        if self.kind == "root":
            self._tree, self.names = _open_tree(self.path, tree)
            self.num_entries = int(self._tree.num_entries)
        else:
            import pyarrow.parquet as pq

            try:
                self._pq = pq.ParquetFile(self.path)
            except Exception as err:
                msg = (
                    f"Cannot open {self.path} as a parquet file ({err}). It may be truncated or not parquet."
                )
                raise DataFileError(msg) from err
            meta = self._pq.metadata
            self.num_entries = int(meta.num_rows)
            self.names = set(self._pq.schema_arrow.names)
            sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            self._group_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def check(self, names: Sequence[str]) -> None:
        """Raise ``KeyError`` naming the file and the closest branches when ``names`` are missing."""
        _missing(self.path, names, self.names, "branch(es)" if self.kind == "root" else "column(s)")

    def read(self, names: Sequence[str], start: int, stop: int) -> dict[str, ak.Array]:
        """Branches ``names`` for entries ``[start, stop)``."""
        names = list(dict.fromkeys(names))
        self.check(names)
        if not names:
            return {}
        if self.kind == "root":
            try:
                if hasattr(self._tree, "branches"):  # TTree: per-branch reads skip a scan of all branches
                    return {
                        n: self._tree[n].array(entry_start=start, entry_stop=stop, library="ak")
                        for n in names
                    }
                arrays = self._tree.arrays(names, entry_start=start, entry_stop=stop, library="ak", how=dict)
            except Exception as err:
                msg = (
                    f"{self.path}: failed to read entries {start}:{stop} ({err}). The file may be corrupted."
                )
                raise DataFileError(msg) from err
            return {n: arrays[n] for n in names}
        first = int(np.searchsorted(self._group_starts, start, side="right") - 1)
        last = int(np.searchsorted(self._group_starts, max(stop - 1, start), side="right") - 1)
        import awkward as ak

        table = ak.from_parquet(self.path, columns=names, row_groups=range(first, last + 1))
        offset = int(self._group_starts[first])
        table = table[start - offset : stop - offset]
        return {n: table[n] for n in names}

    def iterate(self, names: Sequence[str], step: int) -> Iterator[tuple[int, dict[str, ak.Array]]]:
        """``(first entry, branches)`` over the whole file in steps of ``step`` entries."""
        names = list(dict.fromkeys(names))
        self.check(names)
        if self.kind == "root" and names:
            for arrays, report in self._tree.iterate(
                names, step_size=step, library="ak", how=dict, report=True
            ):
                yield int(report.tree_entry_start), {n: arrays[n] for n in names}
            return
        for start in range(0, self.num_entries, step):
            yield start, self.read(names, start, min(self.num_entries, start + step))

    def close(self) -> None:
        """Release the file (ROOT files stay in the per-process cache of open trees)."""
