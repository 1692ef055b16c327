"""ROOT / parquet or HDF5 files -> salt-layout HDF5, streaming in chunks (``halite convert``).

Each stream of ``data.columnar`` becomes one structured dataset: the global object
``(jets,)``, constituent streams ``(jets, max_length)`` with a boolean ``valid``
field. Jets appear in file and entry order, one per selected jet, exactly as
halite reads them from the ROOT files, so training from the output gives the same
batches as training from the input. HDF5 inputs (:func:`relayout`) are copied
dataset by dataset, concatenated, into another storage layout (``halite.data.layout``:
chunked, compressed with LZ4 / Zstandard / gzip).
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
from halite.data.layout import DEFAULT_CHUNK_JETS, check_layout, dataset_options, register_filters
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
    compression
        ``none``, ``lz4``, ``zstd`` or ``gzip`` (``halite.data.layout``).
    """

    def __init__(
        self,
        file: h5py.File,
        config: ColumnarConfig,
        global_object: str,
        chunk_jets: int = DEFAULT_CHUNK_JETS,
        compression: str = "none",
    ) -> None:
        self.file = file
        self.config = config
        self.global_object = global_object
        self.chunk_jets = chunk_jets
        self.compression = compression
        self.num_jets = 0

    def _create(self, stream: str, cols: dict[str, np.ndarray], valid: np.ndarray | None) -> None:
        fields = [(name, structured_dtype(arr.dtype)) for name, arr in cols.items()]
        if valid is not None:
            fields.append(("valid", np.dtype(bool)))
        dtype = np.dtype(fields)
        width = () if valid is None else (valid.shape[1],)
        options = dataset_options(self.compression, self.chunk_jets, width)
        ds = self.file.create_dataset(stream, shape=(0, *width), dtype=dtype, **options)
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
    compression: str = "none",
    chunk_jets: int | None = None,
) -> int:
    """Convert ``inputs`` into one salt-layout HDF5 file ``output`` (written atomically).

    ``compression`` and ``chunk_jets`` (default 1000) set the storage layout (``halite.data.layout``).

    Returns
    -------
    int
        Jets written.
    """
    check_layout(compression, chunk_jets)
    readers = [
        ColumnarReader(p, config, None, global_object, offsets=np.zeros(1, dtype=np.int64)) for p in inputs
    ]
    total = sum(r.source.num_entries for r in readers)
    try:
        with atomic_path(output) as tmp, h5py.File(tmp, "w") as f:
            writer = H5Writer(f, config, global_object, chunk_jets or DEFAULT_CHUNK_JETS, compression)
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


def _jet_datasets(f: h5py.File, path: Path | str) -> dict[str, h5py.Dataset]:
    """The top-level datasets of ``f`` (one row per jet, all of one length)."""
    datasets = {k: v for k, v in f.items() if isinstance(v, h5py.Dataset) and v.ndim >= 1}
    lengths = {k: len(v) for k, v in datasets.items()}
    if not datasets or len(set(lengths.values())) > 1:
        msg = (
            f"{path}: expected top-level datasets with one row per jet, all of one length; "
            f"found {lengths or 'none'}."
        )
        raise DataError(msg)
    return datasets


def relayout(
    inputs: Sequence[Path | str],
    output: Path,
    compression: str = "none",
    chunk_jets: int | None = None,
    block_jets: int = 100_000,
) -> int:
    """Copy HDF5 files of jets, concatenated, into ``output`` with another storage layout (atomically).

    Every top-level dataset and the attributes (of the datasets and of the first file) are
    kept; rows are copied ``block_jets`` at a time (rounded to whole chunks), bit for bit.

    Returns
    -------
    int
        Jets written.
    """
    check_layout(compression, chunk_jets)
    register_filters()
    files = [h5py.File(p, "r") for p in inputs]
    try:
        first = _jet_datasets(files[0], inputs[0])
        for path, f in zip(inputs[1:], files[1:], strict=True):
            other = _jet_datasets(f, path)
            layout = {k: (v.dtype, v.shape[1:]) for k, v in other.items()}
            if layout != {k: (v.dtype, v.shape[1:]) for k, v in first.items()}:
                msg = (
                    f"{path}: its datasets {sorted(layout)} (dtypes, slots) differ from those of {inputs[0]}; "
                    f"only files of one layout can be concatenated."
                )
                raise DataError(msg)
        total = sum(len(next(iter(_jet_datasets(f, p).values()))) for p, f in zip(inputs, files, strict=True))
        step = max(1, block_jets // chunk_jets) * chunk_jets if chunk_jets else block_jets
        with atomic_path(output) as tmp, h5py.File(tmp, "w") as out:
            for key, value in files[0].attrs.items():
                out.attrs[key] = value
            out.attrs["halite_source"] = [str(p) for p in inputs]
            for name, ds in first.items():
                options = dataset_options(compression, chunk_jets, ds.shape[1:])
                new = out.create_dataset(name, shape=(total, *ds.shape[1:]), dtype=ds.dtype, **options)
                for key, value in ds.attrs.items():
                    new.attrs[key] = value
            pos = 0
            for path, f in zip(inputs, files, strict=True):
                datasets = _jet_datasets(f, path)
                n = len(next(iter(datasets.values())))
                for start in range(0, n, step):
                    stop = min(start + step, n)
                    for name, ds in datasets.items():
                        out[name][pos + start : pos + stop] = ds[start:stop]
                pos += n
    finally:
        for f in files:
            f.close()
    return total
