"""The reader seam: blocks of jets from one file, whatever its format.

A :class:`JetDataset <halite.data.dataset.JetDataset>` reads its files through a
:class:`ReaderFactory` it is given: the factory checks and counts the jets of each file
once (at dataset construction) and opens a :class:`BlockReader` per file in each loader
worker. :func:`reader_factory` is the one place that chooses the implementation from the
files: salt-format HDF5 (:class:`halite.data.readers.H5ReaderFactory`) or ROOT / parquet
(:class:`halite.data.columnar.reader.ColumnarReaderFactory`, for ``.root`` / ``.parquet``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from halite.data.columnar.sources import is_columnar
from halite.data.specs import InputSpec
from halite.errors import DataError

if TYPE_CHECKING:
    from halite.data.columnar.config import ColumnarConfig


@dataclass
class Block:
    """A block of jets read from one file.

    ``values[s]`` is float32 with the inputs first, then the labels: ``(n, C)`` for the
    global object; for a constituent stream either ``(n, N, C)`` or, when packed,
    ``(T + 1, C)`` holding only the ``T`` valid constituents in file order and then one
    row of zeros. A packed stream says where each slot's row is in one of two ways:
    ``rows[s]`` ``(n, N)`` the row of each slot (``T`` for padding, the zero row: one row
    gather gives a padded batch), or, when every jet's valid slots come first (salt's
    files), ``offsets[s]`` ``(n + 1,)``: jet ``j``'s constituents are rows
    ``offsets[s][j]:offsets[s][j + 1]`` (:meth:`slot_rows` builds a batch's rows from either).
    ``valid[s]`` is ``(n, N)``.

    A reader may keep the labels of a global or packed stream apart: ``label_columns[s]``
    maps each label of stream ``s`` to its float32 column (the rows of ``values[s]``, padding row included),
    and ``values[s]`` then holds the inputs only, so a batch's inputs are gathered
    straight into their tensor (the HDF5 reader does this for packed blocks).
    """

    path: Path | str
    start: int
    values: dict[str, np.ndarray]
    valid: dict[str, np.ndarray]
    rows: dict[str, np.ndarray] = dataclass_field(default_factory=dict)
    offsets: dict[str, np.ndarray] = dataclass_field(default_factory=dict)
    label_columns: dict[str, dict[str, np.ndarray]] = dataclass_field(default_factory=dict)
    _counts: dict[str, np.ndarray] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _memo: dict[tuple[str, ...], np.ndarray] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def memo(self, key: tuple[str, ...], build: Callable[[], np.ndarray]) -> np.ndarray:
        """``build()``, computed once per block and ``key`` (e.g. a label column mapped to class indices)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def counts(self, stream: str) -> np.ndarray:
        """Valid constituents per jet of constituent stream ``stream`` ``(n,)``, computed once."""
        if stream not in self._counts:
            if stream in self.offsets:
                self._counts[stream] = np.diff(self.offsets[stream])
            else:
                self._counts[stream] = self.valid[stream].sum(axis=1)
        return self._counts[stream]

    def is_packed(self, stream: str) -> bool:
        """Whether constituent stream ``stream`` holds only its valid constituents (``rows`` or ``offsets``)."""
        return stream in self.rows or stream in self.offsets

    def slot_rows(self, stream: str, idx: np.ndarray, n: int, pad: np.ndarray | None = None) -> np.ndarray:
        """Rows of ``values[stream]`` of the first ``n`` slots of jets ``idx`` ``(len(idx), n)`` (packed only).

        Padding slots index the zero row; with ``pad`` (bool ``(len(idx), n)``) they are
        also flagged there. From ``offsets``: the jet's first row plus the slot, the same
        rows that ``rows[stream][idx, :n]`` holds, without reading a ``(n, N)`` table.
        """
        zero_row = len(self.values[stream]) - 1
        if stream in self.rows:
            where = self.rows[stream][idx, :n]
            if pad is not None:
                np.equal(where, zero_row, out=pad)
            return where
        slots = np.arange(n)
        if pad is None:
            pad = np.empty((len(idx), n), dtype=bool)
        np.greater_equal(slots, self.counts(stream)[idx][:, None], out=pad)
        where = self.offsets[stream][idx][:, None] + slots
        np.putmask(where, pad, zero_row)
        return where

    def row_table(self, stream: str) -> np.ndarray:
        """The ``(n, N)`` row of every slot of packed stream ``stream`` (``rows[stream]``, or built from ``offsets``)."""
        if stream in self.rows:
            return self.rows[stream]
        return self.slot_rows(stream, np.arange(self.num_jets), self.valid[stream].shape[1])

    @property
    def num_jets(self) -> int:
        """Jets in the block (packed values hold constituents, so count them from ``valid``)."""
        first = next(iter(self.valid.values())) if self.valid else next(iter(self.values.values()))
        return int(first.shape[0])


class BlockReader(Protocol):
    """An open file of jets: ``num_jets`` of them, read as :class:`Block` s of consecutive jets."""

    @property
    def path(self) -> Path | str:
        """The file."""
        ...

    @property
    def num_jets(self) -> int:
        """Jets in the file (selected jets for ROOT / parquet)."""
        ...

    def read(self, start: int, stop: int) -> Block:
        """Jets ``[start, stop)`` of every stream (``Block.values`` float32, inputs then labels)."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


class ReaderFactory(Protocol):
    """Opens :class:`BlockReader` s of files of one format; picklable (sent to loader workers)."""

    def num_jets(self, path: Path | str) -> int:
        """Jets of ``path``, checking every stream's fields first (errors name the file)."""
        ...

    def open(self, path: Path | str) -> BlockReader:
        """A reader of ``path`` (packed constituents where the format allows)."""
        ...


def reader_factory(
    files: Sequence[Path | str],
    specs: Sequence[InputSpec],
    columnar: ColumnarConfig | None = None,
    global_object: str = "jets",
) -> ReaderFactory:
    """The reader factory of ``files``: HDF5, or ROOT / parquet (``.root`` / ``.parquet``) with ``columnar``.

    Parameters
    ----------
    files
        The files of one split (one format for all).
    specs
        Streams to read (inputs and labels).
    columnar
        How jets are built from ROOT / parquet branches (``data.columnar``); required for them.
    global_object
        Name of the stream with one row per jet.

    Raises
    ------
    ValueError
        When HDF5 and ROOT / parquet files are mixed, or ROOT / parquet files come without ``columnar``.
    """
    kinds = {is_columnar(p) for p in files}
    if kinds == {False} or not kinds:
        from halite.data.readers import H5ReaderFactory  # the readers import Block from here

        return H5ReaderFactory(tuple(specs))
    if len(kinds) > 1:
        msg = (
            f"Files {[str(p) for p in files]} mix HDF5 with ROOT/parquet; use one kind per split "
            f"(convert with `halite convert`)."
        )
        raise DataError(msg)
    if columnar is None:
        msg = (
            f"{files[0]} is a ROOT/parquet file: add a data.columnar section (streams with their branches, "
            f"layout, selection, labels) to say how jets are built from it."
        )
        raise DataError(msg)
    from halite.data.columnar.reader import ColumnarReaderFactory

    return ColumnarReaderFactory(columnar, tuple(specs), global_object)
