"""ROOT / parquet files -> salt-layout HDF5, streaming in chunks of entries (``halite convert``).

Each stream of ``data.columnar`` becomes one structured dataset: the global object
``(jets,)``, constituent streams ``(jets, max_length)`` with a boolean ``valid``
field. Jets appear in file and entry order, one per selected jet, exactly as
halite reads them from the ROOT files, so training from the output gives the same
batches as training from the input.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from tqdm import tqdm

from halite.data.columnar.config import ColumnarConfig, columnar_config
from halite.data.columnar.reader import ColumnarReader, Columns, structured_dtype
from halite.errors import DataError
from halite.io import atomic_path, read_yaml


def load_columnar(path: str | Path) -> tuple[ColumnarConfig, str]:
    """``(data.columnar, data.global_object)`` of a halite config, or of a file holding only the columnar section."""
    cfg = read_yaml(path)
    if not isinstance(cfg, Mapping):
        msg = f"Config {path} is not a YAML mapping."
        raise DataError(msg)
    data: Any = cfg.get("data", cfg)
    if isinstance(data, Mapping) and isinstance(data.get("init_args"), Mapping):
        data = {**data, **data["init_args"]}
    section = data.get("columnar") if isinstance(data, Mapping) else None
    if section is None and "streams" in cfg:
        section, data = cfg, {}
    if not isinstance(section, Mapping):
        msg = (
            f"Config {path} has no data.columnar section (streams, layout, selection, labels) describing "
            f"how jets are built from the ROOT/parquet branches."
        )
        raise DataError(msg)
    global_object = str(data.get("global_object") or "jets")
    config = columnar_config(section)
    config.check(global_object)
    return config, global_object


def _record(cols: dict[str, np.ndarray], valid: np.ndarray | None, dtype: np.dtype) -> np.ndarray:
    shape = next(iter(cols.values())).shape if cols else (0 if valid is None else valid.shape)
    rec = np.zeros(valid.shape if valid is not None else shape, dtype=dtype)
    for name, arr in cols.items():
        rec[name] = arr
    if valid is not None:
        rec["valid"] = valid
    return rec


class H5Writer:
    """Appends blocks of jets to resizable structured datasets, one per stream.

    Parameters
    ----------
    file
        Open, writable HDF5 file.
    config
        The columnar configuration (class names become dataset attributes).
    global_object
        Name of the global stream.
    chunk_jets
        HDF5 chunk length in jets.
    """

    def __init__(
        self, file: h5py.File, config: ColumnarConfig, global_object: str, chunk_jets: int = 1000
    ) -> None:
        self.file = file
        self.config = config
        self.global_object = global_object
        self.chunk_jets = chunk_jets
        self.num_jets = 0

    def _create(self, stream: str, cols: dict[str, np.ndarray], valid: np.ndarray | None) -> None:
        fields = [(name, structured_dtype(arr.dtype)) for name, arr in cols.items()]
        if valid is not None:
            fields.append(("valid", np.dtype(bool)))
        dtype = np.dtype(fields)
        width = () if valid is None else (valid.shape[1],)
        ds = self.file.create_dataset(
            stream, shape=(0, *width), maxshape=(None, *width), dtype=dtype, chunks=(self.chunk_jets, *width)
        )
        for name, label in self.config.labels.items():
            if (label.stream or self.global_object) == stream and label.class_names and name in cols:
                ds.attrs[name] = label.class_names

    def append(self, columns: Columns) -> None:
        """Append the jets of one read."""
        n = 0
        for stream, (cols, valid) in columns.items():
            if stream not in self.file:
                self._create(stream, cols, valid)
            ds = self.file[stream]
            rec = _record(cols, valid, ds.dtype)
            n = len(rec)
            ds.resize(self.num_jets + n, axis=0)
            ds[self.num_jets : self.num_jets + n] = rec
        self.num_jets += n


def convert(
    inputs: Sequence[Path | str],
    output: Path,
    config: ColumnarConfig,
    global_object: str = "jets",
    progress: bool = True,
) -> int:
    """Convert ``inputs`` into one salt-layout HDF5 file ``output`` (written atomically).

    Returns
    -------
    int
        Jets written.
    """
    readers = [
        ColumnarReader(p, config, None, global_object, offsets=np.zeros(1, dtype=np.int64)) for p in inputs
    ]
    total = sum(r.source.num_entries for r in readers)
    try:
        with atomic_path(output) as tmp, h5py.File(tmp, "w") as f:
            writer = H5Writer(f, config, global_object)
            with tqdm(total=total, unit="entries", disable=not progress, file=sys.stderr) as bar:
                for reader in readers:
                    for _, arrays in reader.source.iterate(reader.branches, config.step_size):
                        writer.append(reader.columns(arrays))
                        bar.update(len(next(iter(arrays.values()))))
                        bar.set_postfix(jets=writer.num_jets)
            f.attrs["halite_source"] = [str(p) for p in inputs]
            if writer.num_jets == 0:
                msg = f"The selection '{config.selection}' keeps no jets of {[str(p) for p in inputs]}."
                raise DataError(msg)
    finally:
        for r in readers:
            r.close()
    return writer.num_jets
