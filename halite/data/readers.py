"""Block reads of HDF5 structured arrays into float32 arrays.

A training (packed) block is read span by span (``halite.data.h5_spans``: ~2 MiB of records
per read, whole chunks of chunked files, in the file's own compound dtype with no HDF5 type
conversion, which is ~10x slower than the raw read). While a span is in the CPU cache its
``valid`` flags are copied, the valid constituents (about a quarter of the slots) gathered and
the requested fields cast into the stream's float32 inputs and one float32 column per label,
each followed by a row of zeros for the padding slots, one strided copy per run of
same-typed fields stored back to back (``halite.data.casting``). Unpacked blocks and blocks
with new variables are read whole and hold inputs then labels in one array.
"""

from __future__ import annotations

import glob as globmod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from halite.data.block_reader import Block
from halite.data.casting import cast_fields, cast_into
from halite.data.derived import check_names, compile_new_variables, namespaces
from halite.data.expressions import Expression
from halite.data.h5_spans import DatasetSpans
from halite.data.layout import register_filters
from halite.data.remote import is_remote, open_remote, remote_files
from halite.data.specs import InputSpec
from halite.errors import (
    DataError,
    DataFileError,
    DataFileNotFound,
    DataKeyError,
    DataTypeError,
    did_you_mean,
)


def expand_files(pattern: str | Sequence[str]) -> list[Path | str]:
    """Expand a path, a glob, or a list of them into existing files (sorted per glob).

    Remote URLs (``s3://bucket/key``, globs allowed) stay strings and are streamed by ``open_h5``.
    """
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    files: list[Path | str] = []
    for pat in patterns:
        if is_remote(pat):
            files.extend(remote_files(str(pat)))
        elif any(c in str(pat) for c in "*?["):
            matches = sorted(globmod.glob(str(pat)))
            if not matches:
                msg = f"No files match the glob '{pat}'. Check the path in data.*_file."
                raise DataFileNotFound(msg)
            files.extend(Path(m) for m in matches)
        else:
            p = Path(pat)
            if not p.is_file():
                msg = f"Input file not found: {p}. Check the path in data.*_file (or run `halite synth`)."
                raise DataFileNotFound(msg)
            files.append(p)
    return files


def open_h5(path: Path | str) -> h5py.File:
    """Open an HDF5 file (local, or a URL streamed through fsspec) read-only.

    The error names the file when it is not readable HDF5.
    """
    register_filters()  # files written with --compression lz4 / zstd
    try:
        if is_remote(path):
            return h5py.File(open_remote(str(path)), "r")
        return h5py.File(path, "r")
    except OSError as err:
        msg = (
            f"Cannot open {path} as HDF5 ({err}). The file may be truncated or not an HDF5 file; "
            f"re-create or re-copy it."
        )
        raise DataFileError(msg) from err


def read_label_names(path: Path | str, datasets: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """Class names stored as string-list attributes of each stream's dataset.

    ``datasets`` maps stream names to dataset names; returns ``{stream: {attr: [names]}}``
    (empty for a file that is not HDF5).
    """
    out: dict[str, dict[str, list[str]]] = {}
    if not is_remote(path) and not h5py.is_hdf5(path):
        return out
    with open_h5(path) as f:
        for stream, name in datasets.items():
            if name not in f:
                continue
            names: dict[str, list[str]] = {}
            for key, value in f[name].attrs.items():
                arr = np.asarray(value)
                if arr.ndim == 1 and arr.size and arr.dtype.kind in "OSU":
                    names[key] = [v.decode() if isinstance(v, bytes) else str(v) for v in arr.tolist()]
            out[stream] = names
    return out


def leading_offsets(valid: np.ndarray) -> np.ndarray | None:
    """First packed row of each jet ``(n + 1,)`` when every jet's valid slots of ``valid`` ``(n, N)`` come first, else None."""
    if (valid[:, 1:] > valid[:, :-1]).any():  # a valid slot after a padding one
        return None
    counts = valid.sum(axis=1)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


@dataclass(frozen=True)
class StreamLayout:
    """Read layout of one stream: the fields to read (inputs, then labels) and the slots."""

    spec: InputSpec
    fields: tuple[str, ...]
    has_valid: bool
    num_slots: int  # constituent slots read (after truncation); 0 for the global object
    expressions: Mapping[str, Expression] = dataclass_field(default_factory=dict)  # new variables read

    @property
    def derived(self) -> bool:
        return bool(self.expressions)

    @property
    def num_inputs(self) -> int:
        return len(self.spec.variables)


def spec_expressions(spec: InputSpec) -> dict[str, Expression]:
    """The compiled new variables of ``spec`` (``data.new_variables.<stream>``)."""
    if not spec.new_variables:
        return {}
    return compile_new_variables({spec.name: dict(spec.new_variables)}, {spec.name: None})[spec.name]


def _check_new_variables(
    f: h5py.File,
    path: Path | str,
    spec: InputSpec,
    fields: tuple[str, ...],
    expressions: dict[str, Expression],
) -> tuple[str, ...]:
    """Check the new variables among ``fields`` against the file; return the fields read from it."""
    glob_dtype, glob_name = None, spec.name
    if spec.global_ref is not None and spec.global_ref[0] != spec.name:
        glob_name, glob_ds = spec.global_ref
        if glob_ds in f:
            glob_dtype = f[glob_ds].dtype
    try:
        return tuple(
            check_names(spec.name, fields, f[spec.dataset].dtype, expressions, glob_dtype, glob_name)
        )
    except DataError as err:
        msg = f"{path}: {err}"
        raise type(err)(msg) from err


def stream_layout(f: h5py.File, path: Path | str, spec: InputSpec) -> StreamLayout:
    """Check the dataset and fields of ``spec`` in ``f`` and build its read layout."""
    if spec.dataset not in f:
        msg = (
            f"{path}: dataset '{spec.dataset}' (stream '{spec.name}') not found; the file has "
            f"{sorted(f.keys())}.{did_you_mean(spec.dataset, f.keys())} Fix data.input_map or data.variables."
        )
        raise DataKeyError(msg)
    ds = f[spec.dataset]
    names = ds.dtype.names or ()
    fields = tuple(dict.fromkeys([*spec.variables, *(lab.name for lab in spec.labels)]))
    expressions = spec_expressions(spec)
    used = {name: e for name, e in expressions.items() if name in fields}
    file_fields = _check_new_variables(f, path, spec, fields, expressions) if used else fields
    for field in file_fields:
        if field not in names:
            msg = (
                f"{path}: variable '{field}' not found in dataset '{spec.dataset}' (stream '{spec.name}'). "
                f"Available fields: {sorted(names)}.{did_you_mean(field, names)}"
            )
            raise DataKeyError(msg)
        kind = ds.dtype[field].kind
        if kind not in "biuf":
            msg = (
                f"{path}: variable '{field}' of dataset '{spec.dataset}' has dtype {ds.dtype[field]}, "
                f"not a number. Use numeric fields only."
            )
            raise DataTypeError(msg)
    has_valid = not spec.is_global
    if has_valid and "valid" not in names:
        msg = (
            f"{path}: constituent dataset '{spec.dataset}' has no boolean 'valid' field marking real "
            f"entries. Salt-format files need one."
        )
        raise DataKeyError(msg)
    if has_valid and ds.ndim != 2:
        msg = (
            f"{path}: constituent dataset '{spec.dataset}' must be 2D (jets, slots); it has shape {ds.shape}."
        )
        raise DataError(msg)
    if not has_valid and ds.ndim != 1:
        msg = f"{path}: global dataset '{spec.dataset}' must be 1D (jets,); it has shape {ds.shape}."
        raise DataError(msg)
    slots = 0
    if has_valid:
        slots = ds.shape[1] if spec.max_length is None else min(spec.max_length, ds.shape[1])
    return StreamLayout(spec, fields, has_valid, slots, expressions if used else {})


class H5Reader:
    """Reads blocks of jets from one HDF5 file in the file's own record dtype (no HDF5 conversion).

    Parameters
    ----------
    path
        The file.
    specs
        Streams to read.
    packed
        Keep only the valid constituents of constituent streams (``Block.rows``); the
        default gives padded ``(n, N, C)`` values.

    Notes
    -----
    A chunked dataset (``halite synth --compression``) is read in whole HDF5 chunks: the
    reads cover ``[start, stop)`` rounded out to chunk boundaries, so every chunk is
    decompressed once per block and straight into the read buffer, never through HDF5's
    chunk cache. Packed blocks are read in spans (:mod:`halite.data.h5_spans`) and keep
    their labels apart (``Block.label_columns``).
    """

    def __init__(self, path: Path | str, specs: Sequence[InputSpec], packed: bool = False) -> None:
        self.path = path
        self.packed = packed
        self.file = open_h5(path)
        self.layouts = {s.name: stream_layout(self.file, path, s) for s in specs}
        lengths = {s.dataset: len(self.file[s.dataset]) for s in specs}
        if len(set(lengths.values())) > 1:
            msg = f"{path}: datasets have different numbers of jets {lengths}; they must be aligned."
            raise DataError(msg)
        self.num_jets = next(iter(lengths.values()))
        self._spans = {
            name: DatasetSpans(path, self.file[lay.spec.dataset], lay.num_slots, local=not is_remote(path))
            for name, lay in self.layouts.items()
        }

    def read(self, start: int, stop: int) -> Block:
        """Read jets ``[start, stop)`` of every stream."""
        derived = any(lay.derived for lay in self.layouts.values())
        if self.packed and not derived:
            return self._read_packed(start, stop)
        valid, rows, offsets = {}, {}, {}
        raws: dict[str, np.ndarray] = {}
        jet_index: dict[str, np.ndarray] = {}
        zero_rows: dict[str, bool] = {}
        for name, lay in self.layouts.items():
            raw = self._spans[name].read_range(start, stop)
            zero_row = False
            if lay.has_valid:
                valid[name] = raw["valid"].astype(bool)
            if lay.has_valid and self.packed:
                where = np.flatnonzero(valid[name])
                leading = leading_offsets(valid[name])
                if leading is not None:  # salt's files: a jet's rows are one run, no (n, N) table
                    offsets[name] = leading
                else:
                    rows[name] = np.full(raw.shape, len(where), dtype=np.int64)  # padding: the zero row
                    rows[name].reshape(-1)[where] = np.arange(len(where))
                raw = np.take(raw.reshape(-1), where)  # far faster than boolean indexing of records
                if derived:
                    jet_index[name] = where // lay.num_slots
                zero_row = True
            raws[name], zero_rows[name] = raw, zero_row
        if not derived:
            values = {
                name: cast_fields(raws[name], lay.fields, zero_rows[name])
                for name, lay in self.layouts.items()
            }
            return Block(self.path, start, values, valid, rows, offsets)
        sources: Mapping[str, Any] = self._namespaces(raws, jet_index, start, stop)
        values = {}
        for name, lay in self.layouts.items():
            src, shape = sources[name], raws[name].shape
            rows_out = int(np.prod(shape)) + int(zero_rows[name])
            out = np.zeros(
                (rows_out, len(lay.fields)), dtype=np.float32
            )  # a packed stream ends with the zero row
            for i, field_name in enumerate(lay.fields):
                out[: rows_out - int(zero_rows[name]), i] = np.asarray(src[field_name]).reshape(-1)
            if not zero_rows[name]:
                out = out.reshape(*shape, len(lay.fields))
            if lay.derived and lay.has_valid and not self.packed:
                out[~valid[name]] = 0.0  # padding stays zero (log(0) of a padded slot is -inf)
            values[name] = out
        return Block(self.path, start, values, valid, rows, offsets)

    def _read_packed(self, start: int, stop: int) -> Block:
        """Jets ``[start, stop)`` with packed constituents, read, gathered and cast span by span.

        Each span's records are still in the CPU cache when their ``valid`` flags are copied,
        the valid records gathered and their fields cast (see :mod:`halite.data.h5_spans`);
        the rows of every span follow each other. The labels are kept apart
        (``Block.label_columns``), so ``values`` holds the inputs only.
        """
        n = stop - start
        values, valid, rows, offsets = {}, {}, {}, {}
        label_columns: dict[str, dict[str, np.ndarray]] = {}
        for name, lay in self.layouts.items():
            reads, inputs = self._spans[name], lay.spec.variables
            labels = tuple(dict.fromkeys(lab.name for lab in lay.spec.labels))
            size = n * lay.num_slots + 1 if lay.has_valid else n  # packed: room for every slot, shrunk below
            x = np.empty((size, len(inputs)), dtype=np.float32)
            cols = {lab: np.empty((size, 1), dtype=np.float32) for lab in labels}
            flags = np.empty((n, lay.num_slots), dtype=bool)
            t = 0
            for lo, hi, a, b in reads.spans(start, stop):
                recs = reads.read(lo, hi)[a - lo : b - lo]
                if lay.has_valid:
                    span_flags = flags[a - start : b - start]
                    np.copyto(span_flags, recs["valid"], casting="unsafe")  # = astype(bool)
                    # np.take: far faster than boolean indexing of records; "clip" is not buffered as "raise" is
                    recs = np.take(recs.reshape(-1), np.flatnonzero(span_flags), mode="clip")
                cast_into(recs, inputs, x[t : t + len(recs)])
                for lab, col in cols.items():
                    cast_into(recs, (lab,), col[t : t + len(recs)])
                t += len(recs)
            if lay.has_valid:
                valid[name] = flags
                for arr in (x, *cols.values()):
                    arr[t] = 0.0  # the zero row that padding slots index
                    arr.resize((t + 1, arr.shape[1]), refcheck=False)  # in place: no view of it is left
                leading = leading_offsets(flags)
                if leading is not None:  # salt's files: a jet's rows are one run, no (n, N) table
                    offsets[name] = leading
                else:
                    rows[name] = np.full(flags.shape, t, dtype=np.int64)  # padding: the zero row
                    rows[name].reshape(-1)[np.flatnonzero(flags)] = np.arange(t)
            values[name] = x
            label_columns[name] = {lab: col.reshape(-1) for lab, col in cols.items()}
        return Block(self.path, start, values, valid, rows, offsets, label_columns)

    def _namespaces(
        self, raws: dict[str, np.ndarray], jet_index: dict[str, np.ndarray], start: int, stop: int
    ) -> dict[str, Any]:
        """Namespaces evaluating the new variables of each stream on the block's records."""
        ref = next((lay.spec.global_ref for lay in self.layouts.values() if lay.spec.global_ref), None)
        glob_name, glob_ds = ref if ref is not None else ("", "")
        candidates = [
            k for k, lay in self.layouts.items() if lay.spec.dataset == glob_ds and not lay.has_valid
        ]
        glob_key = glob_name if glob_name in candidates else next(iter(candidates), None)
        records: dict[str, np.ndarray] = dict(raws)
        if glob_key is None and glob_ds and glob_ds in self.file:
            glob_key = "\0global"
            records[glob_key] = self.file[glob_ds][start:stop]
        expressions = {name: lay.expressions for name, lay in self.layouts.items()}
        if glob_key is not None:
            expressions[glob_name] = expressions.get(glob_key, {})
        return dict(namespaces(records, expressions, glob_key, glob_name, jet_index))

    def attrs(self, dataset: str) -> dict:
        """Attributes of ``dataset`` (e.g. class names of labels)."""
        return dict(self.file[dataset].attrs)

    def close(self) -> None:
        for spans in self._spans.values():
            spans.close()
        self.file.close()


@dataclass(frozen=True)
class H5ReaderFactory:
    """Opens :class:`H5Reader` s (packed constituents) of salt-format HDF5 files.

    Parameters
    ----------
    specs
        Streams to read (inputs and labels).
    """

    specs: tuple[InputSpec, ...]

    def num_jets(self, path: Path | str) -> int:
        """Jets of ``path``, checking every stream's dataset and fields first."""
        with open_h5(path) as f:
            for spec in self.specs:
                stream_layout(f, path, spec)  # fail early with a clear message
            return len(f[self.specs[0].dataset])

    def open(self, path: Path | str) -> H5Reader:
        """A reader of ``path`` keeping only the valid constituents (``Block.rows``)."""
        return H5Reader(path, self.specs, packed=True)
