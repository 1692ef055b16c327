"""JetDataset over ROOT / parquet files: same batches, sharding and shuffling as for HDF5."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from halite.data.columnar.config import ColumnarConfig
from halite.data.columnar.reader import ColumnarBlockReader, ColumnarReader
from halite.data.columnar.sources import is_columnar
from halite.data.dataset import JetDataset
from halite.data.specs import InputSpec


class ColumnarJetDataset(JetDataset):
    """Batches of jets from ROOT TTrees or parquet files (weaver / NanoAOD style).

    The selected jets of every file are counted once at construction (only the
    branches the selection needs are read), so chunks, rank/worker sharding and
    ``num_jets`` address jets exactly as in HDF5 files; each chunk is one entry-range
    read (``TTree.arrays`` / parquet row groups).

    Parameters
    ----------
    files
        ROOT or parquet files with the same branches.
    specs
        Streams to read (inputs and labels).
    config
        Branches, layout, selection, new variables and labels (``data.columnar``).
    global_object
        Name of the stream with one row per jet.
    **kwargs
        Passed to :class:`~halite.data.dataset.JetDataset` (``batch_size``, ``num_jets``,
        ``shuffle``, ``bucket``, ``chunk_batches``, ``seed``, ``non_finite``).
    """

    def __init__(
        self,
        files: Sequence[Path],
        specs: Sequence[InputSpec],
        config: ColumnarConfig,
        global_object: str,
        **kwargs: object,
    ) -> None:
        self.config = config
        self.global_object = global_object
        self.offsets: list[np.ndarray] = []
        super().__init__(files, specs, **kwargs)  # type: ignore[arg-type]

    def file_lengths(self) -> list[int]:
        """Selected jets per file (counted once; the offsets are kept for the readers)."""
        self.offsets = []
        for path in self.files:
            reader = ColumnarBlockReader(path, self.config, self.specs, self.global_object)
            self.offsets.append(reader.offsets)
            reader.close()
        return [int(o[-1]) for o in self.offsets]

    def open_reader(self, file_index: int) -> ColumnarBlockReader:
        return ColumnarBlockReader(
            self.files[file_index], self.config, self.specs, self.global_object, self.offsets[file_index]
        )

    def slot_widths(self) -> dict[str, int]:
        """Constituent slots per stream after truncation (for the prediction writer)."""
        widths = {}
        for spec in self.specs:
            if not spec.is_global:
                slots = int(self.config.streams[spec.name].max_length or 0)
                widths[spec.name] = min(slots, spec.max_length or slots)
        return widths

    def global_records(self, num: int) -> np.ndarray:
        """Every field of the global object for the first ``num`` jets, as a structured array."""
        fields = self.config.fields(self.global_object, self.global_object)
        parts, left = [], num
        for path, offsets in zip(self.files, self.offsets, strict=True):
            if left <= 0:
                break
            take = min(left, int(offsets[-1]))
            if take == 0:
                continue
            reader = ColumnarReader(
                path, self.config, {self.global_object: fields}, self.global_object, offsets
            )
            try:
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


def make_dataset(
    files: Sequence[Path],
    specs: Sequence[InputSpec],
    columnar: ColumnarConfig | None,
    global_object: str,
    **kwargs: object,
) -> JetDataset:
    """An HDF5 :class:`JetDataset` or, for ``.root`` / ``.parquet`` files, a :class:`ColumnarJetDataset`."""
    kinds = {is_columnar(p) for p in files}
    if kinds == {False}:
        return JetDataset(files, specs, **kwargs)  # type: ignore[arg-type]
    if len(kinds) > 1:
        msg = (
            f"Files {[str(p) for p in files]} mix HDF5 with ROOT/parquet; use one kind per split "
            f"(convert with `halite convert`)."
        )
        raise ValueError(msg)
    if columnar is None:
        msg = (
            f"{files[0]} is a ROOT/parquet file: add a data.columnar section (streams with their branches, "
            f"layout, selection, labels) to say how jets are built from it."
        )
        raise ValueError(msg)
    return ColumnarJetDataset(files, specs, columnar, global_object, **kwargs)
