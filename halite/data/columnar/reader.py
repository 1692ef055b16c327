"""Blocks of jets from a ROOT or parquet file, in the same packed layout as the HDF5 reader.

Jets are addressed by their index among the *selected* jets of the file, so the
dataset's chunking, sharding, shuffling and ``num_jets`` work exactly as for HDF5:
a per-entry cumulative count of selected jets (``offsets``, computed once by
:meth:`ColumnarReader.count`) maps a jet range to the entry range to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from halite.data.block_reader import Block
from halite.data.columnar.config import ColumnarConfig
from halite.data.columnar.examples import Namespace, base_branches, selection_mask, stream_columns
from halite.data.columnar.sources import ColumnarSource
from halite.data.specs import InputSpec
from halite.errors import DataError, DataKeyError

#: per stream: field -> ``(n,)`` or ``(n, max_length)`` array, and ``valid`` (``None`` for the global object)
Columns = dict[str, tuple[dict[str, np.ndarray], np.ndarray | None]]


def spec_fields(spec: InputSpec) -> list[str]:
    """Packed field order of a stream: inputs, then labels (as in the HDF5 reader)."""
    return list(dict.fromkeys([*spec.variables, *(lab.name for lab in spec.labels)]))


class ColumnarReader:
    """Reads selected jets of one ROOT / parquet file.

    Parameters
    ----------
    path
        The file.
    config
        Branches, layout, selection, new variables and labels.
    fields
        Stream -> fields to read (default: every field of every configured stream).
    global_object
        Name of the stream with one row per jet.
    offsets
        Cumulative selected jets per entry ``(entries + 1,)`` from an earlier :meth:`count`.
    """

    def __init__(
        self,
        path: Path | str,
        config: ColumnarConfig,
        fields: Mapping[str, Sequence[str]] | None = None,
        global_object: str = "jets",
        offsets: np.ndarray | None = None,
    ) -> None:
        config.check(global_object)
        self.path = Path(path)
        self.config = config
        self.global_object = global_object
        if fields is None:
            fields = {s: config.fields(s, global_object) for s in config.streams}
        unknown = sorted(set(fields) - set(config.streams))
        if unknown:
            msg = (
                f"Streams {unknown} have no entry in data.columnar.streams ({sorted(config.streams)}); "
                f"add their branches there."
            )
            raise DataError(msg)
        self.fields = {s: list(f) for s, f in fields.items()}
        for stream, names in self.fields.items():
            available = config.fields(stream, global_object)
            missing = [n for n in names if n not in available]
            if missing:
                msg = (
                    f"{self.path}: variable(s) {missing} of stream '{stream}' are not among its fields "
                    f"{available}. Add them to data.columnar.streams.{stream}.branches (or labels)."
                )
                raise DataKeyError(msg)
        self.source = ColumnarSource(self.path, config.tree)
        selection = config.selection_expression()
        self.count_branches = self._with_jet_counter(
            base_branches(config, selection.names if selection else [])
        )
        wanted = [n for names in self.fields.values() for n in names]
        wanted += [c.sort_by for s, c in config.streams.items() if c.sort_by and s in self.fields]
        wanted += list(selection.names) if selection else []
        self.branches = self._with_jet_counter(base_branches(config, wanted))
        self.source.check(self.branches)
        self.offsets = self.count() if offsets is None else offsets
        self.num_jets = int(self.offsets[-1])

    def _with_jet_counter(self, branches: list[str]) -> list[str]:
        """Event layout: make sure a branch giving the number of jets per event is read."""
        if self.config.layout != "event":
            return branches
        prefix = f"{self.config.jet_collection}_"
        if any(b.startswith(prefix) for b in branches):
            return branches
        counter = f"n{self.config.jet_collection}"
        if counter in self.source.names:
            return [*branches, counter]
        jet_branches = sorted(b for b in self.source.names if b.startswith(prefix))
        if not jet_branches:
            msg = f"{self.path}: no '{prefix}*' branches; set data.columnar.jet_collection."
            raise DataKeyError(msg)
        return [*branches, jet_branches[0]]

    def count(self) -> np.ndarray:
        """Cumulative number of selected jets before each entry ``(entries + 1,)``."""
        n = self.source.num_entries
        if self.config.layout == "jet" and self.config.selection is None:
            return np.arange(n + 1, dtype=np.int64)
        per_entry = np.zeros(n, dtype=np.int64)
        for start, arrays in self.source.iterate(self.count_branches, self.config.step_size):
            ns = Namespace(self.config, arrays, self.path)
            mask = selection_mask(ns, self.config)
            if self.config.layout == "jet":
                per_entry[start : start + ns.num_entries] = mask
            else:
                event = np.repeat(np.arange(ns.num_entries), ns.jet_counts)
                per_entry[start : start + ns.num_entries] = np.bincount(
                    event, weights=mask, minlength=ns.num_entries
                ).astype(np.int64)
        return np.concatenate([[0], np.cumsum(per_entry)]).astype(np.int64)

    def read_entries(self, start: int, stop: int) -> Columns:
        """Every requested field of the selected jets of entries ``[start, stop)``."""
        arrays = self.source.read(self.branches, start, stop)
        return self.columns(arrays)

    def columns(self, arrays: Mapping) -> Columns:
        """Fields of the selected jets from raw branches of a range of entries."""
        ns = Namespace(self.config, arrays, self.path)
        mask = selection_mask(ns, self.config)
        return {
            stream: stream_columns(ns, self.config, stream, self.global_object, names, mask)
            for stream, names in self.fields.items()
        }

    def entry_range(self, start: int, stop: int) -> tuple[int, int]:
        """Entries holding selected jets ``[start, stop)``."""
        first = int(np.searchsorted(self.offsets, start, side="right") - 1)
        last = int(np.searchsorted(self.offsets, stop - 1, side="right") - 1)
        return first, last + 1

    def read_jets(self, start: int, stop: int) -> Columns:
        """Every requested field of selected jets ``[start, stop)``."""
        if not 0 <= start < stop <= self.num_jets:
            msg = f"{self.path}: jets {start}:{stop} requested but the selection keeps {self.num_jets}."
            raise IndexError(msg)
        e0, e1 = self.entry_range(start, stop)
        cols = self.read_entries(e0, e1)
        lo, hi = start - int(self.offsets[e0]), stop - int(self.offsets[e0])
        return {
            s: ({k: v[lo:hi] for k, v in c.items()}, None if valid is None else valid[lo:hi])
            for s, (c, valid) in cols.items()
        }

    def close(self) -> None:
        self.source.close()


class ColumnarBlockReader(ColumnarReader):
    """A :class:`ColumnarReader` that packs jets into :class:`~halite.data.readers.Block` objects.

    Parameters
    ----------
    path
        The file.
    config
        Columnar configuration.
    specs
        Streams to read with their variables, labels and truncation.
    global_object
        Name of the global stream.
    offsets
        Cumulative selected jets per entry (see :meth:`ColumnarReader.count`).
    """

    def __init__(
        self,
        path: Path,
        config: ColumnarConfig,
        specs: Sequence[InputSpec],
        global_object: str,
        offsets: np.ndarray | None = None,
    ) -> None:
        self.specs = list(specs)
        super().__init__(path, config, {s.name: spec_fields(s) for s in specs}, global_object, offsets)

    def read(self, start: int, stop: int) -> Block:
        """Packed float32 values ``(n, [N,] C)`` (inputs, then labels) and ``valid`` flags."""
        cols = self.read_jets(start, stop)
        values, valid = {}, {}
        for spec in self.specs:
            c, v = cols[spec.name]
            shape = (stop - start,) if v is None else v.shape
            arr = np.empty((*shape, len(spec_fields(spec))), dtype=np.float32)
            for i, f in enumerate(spec_fields(spec)):
                arr[..., i] = c[f]
            if v is not None:
                slots = v.shape[1] if spec.max_length is None else min(spec.max_length, v.shape[1])
                arr, v = arr[:, :slots], v[:, :slots]
                valid[spec.name] = v
            values[spec.name] = arr
        return Block(self.path, start, values, valid)


class ColumnarReaderFactory:
    """Opens :class:`ColumnarBlockReader` s of ROOT / parquet files; jets are counted once per file.

    :meth:`num_jets` (called when the dataset is built) counts the selected jets of a file
    (reading only the branches the selection needs) and keeps its per-entry ``offsets``,
    so that readers opened later, in the loader workers, address jets without counting again.

    Parameters
    ----------
    config
        Branches, layout, selection, new variables and labels (``data.columnar``).
    specs
        Streams to read (inputs and labels).
    global_object
        Name of the stream with one row per jet.
    """

    def __init__(self, config: ColumnarConfig, specs: Sequence[InputSpec], global_object: str) -> None:
        self.config = config
        self.specs = tuple(specs)
        self.global_object = global_object
        self.offsets: dict[str, np.ndarray] = {}

    def num_jets(self, path: Path | str) -> int:
        """Selected jets of ``path`` (counted once; the offsets are kept for the readers)."""
        reader = ColumnarBlockReader(Path(path), self.config, self.specs, self.global_object)
        reader.close()
        self.offsets[str(path)] = reader.offsets
        return int(reader.offsets[-1])

    def open(self, path: Path | str) -> ColumnarBlockReader:
        """A reader of ``path``, reusing the offsets of :meth:`num_jets`."""
        return ColumnarBlockReader(
            Path(path), self.config, self.specs, self.global_object, self.offsets.get(str(path))
        )

    def slot_widths(self) -> dict[str, int]:
        """Constituent slots per stream after truncation (for the prediction writer)."""
        widths = {}
        for spec in self.specs:
            if not spec.is_global:
                slots = int(self.config.streams[spec.name].max_length or 0)
                widths[spec.name] = min(slots, spec.max_length or slots)
        return widths

    def global_records(self, files: Sequence[Path | str], num: int) -> np.ndarray:
        """Every field of the global object for the first ``num`` jets of ``files``, as a structured array."""
        fields = self.config.fields(self.global_object, self.global_object)
        parts, left = [], num
        for path in files:
            if left <= 0:
                break
            offsets = self.offsets.get(str(path))
            reader = ColumnarReader(
                Path(path), self.config, {self.global_object: fields}, self.global_object, offsets
            )
            try:
                take = min(left, reader.num_jets)
                if take == 0:
                    continue
                cols, _ = reader.read_jets(0, take)[self.global_object]
            finally:
                reader.close()
            rec = np.zeros(take, dtype=[(f, structured_dtype(cols[f].dtype)) for f in fields])
            for f in fields:
                rec[f] = cols[f]
            parts.append(rec)
            left -= take
        return np.concatenate(parts)


def structured_dtype(dtype: np.dtype) -> np.dtype:
    """Storage dtype of a field in salt-layout HDF5: floats as float32, booleans as uint8, ints unchanged."""
    if dtype.kind == "f":
        return np.dtype(np.float32)
    return np.dtype(np.uint8) if dtype.kind == "b" else dtype
