"""One HDF5 dataset read in cache-sized spans of jets, in the file's own dtype.

A training block (16 batches) of a constituent stream is tens of MB of records, more than
the CPU's caches: reading it whole and then extracting the ``valid`` flags, gathering the
valid records and casting them would stream it from memory three times. Read in spans of
about :data:`SPAN_BYTES` into one reused buffer, each span is still in the cache for those
steps (in-process CPU time of that part about halved on the 2-core development machine).

The read passes the dataset's own HDF5 type as the memory type when it equals the one h5py
builds from the numpy dtype (``H5Tequal``): no conversion either way, so the same bytes,
but without building a compound type per read (~0.5 ms per call for a 27-field record,
which small reads would pay for every span). A local, contiguous dataset read in full rows
needs no HDF5 at all: its rows are the bytes at the dataset's file offset, read with one
``os.preadv`` per span (HDF5's ~0.1 ms per call was ~15 ms per 100k-jet epoch).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
from h5py import h5d, h5s, h5t

from halite.errors import DataFileError

__all__ = ["SPAN_BYTES", "DatasetSpans"]

SPAN_BYTES = 2 * 2**20  # ~2 MiB of records per read: in the L2 / L3 cache of a core


class DatasetSpans:
    """Reads rows of one dataset (all ``num_slots`` first slots of a 2D one) into a reused buffer.

    Parameters
    ----------
    path
        The file (for error messages).
    ds
        The dataset: 1D ``(jets,)`` or 2D ``(jets, slots)`` structured records.
    num_slots
        Slots read per jet of a 2D dataset (ignored for a 1D one).
    span_bytes
        Target bytes per read (default :data:`SPAN_BYTES`); a chunked dataset is read in
        whole chunks (at least one).
    """

    def __init__(
        self,
        path: Path | str,
        ds: h5py.Dataset,
        num_slots: int,
        span_bytes: int | None = None,
        local: bool = False,
    ) -> None:
        self.path = path
        self.ds = ds
        self.num_slots = num_slots if ds.ndim == 2 else None
        self.num_jets = len(ds)
        self.dtype = ds.dtype
        ftype = ds.id.get_type()
        self.mtype = ftype if h5t.py_create(ds.dtype) == ftype else None  # None: h5py's conversion
        row_bytes = self.dtype.itemsize * max(self.num_slots or 1, 1)
        self._fd: int | None = None  # the file, when its rows are read without HDF5
        self._offset = ds.id.get_offset()
        plist = ds.id.get_create_plist()
        if (
            local
            and self.mtype is not None
            and self._offset is not None
            and plist.get_layout() == h5d.CONTIGUOUS
            and plist.get_external_count() == 0
            and (self.num_slots is None or self.num_slots == ds.shape[1])
        ):
            self._fd = os.open(path, os.O_RDONLY)
            self._row_bytes = row_bytes
        self.step = ds.chunks[0] if ds.chunks is not None else 1
        target = SPAN_BYTES if span_bytes is None else span_bytes
        self.span = max(1, target // (row_bytes * self.step)) * self.step
        self._buf = np.empty(0, dtype=self.dtype)

    def spans(self, start: int, stop: int) -> Iterator[tuple[int, int, int, int]]:
        """``(lo, hi, a, b)`` per read covering jets ``[start, stop)``: read rows ``[lo, hi)``, keep ``[a, b)``.

        A chunked dataset's reads start and end on chunk boundaries (or the last jet), so
        every chunk is decompressed once, straight into the buffer.
        """
        lo = start - start % self.step
        while lo < stop:
            hi = min(lo + self.span, self.num_jets)
            if self.step == 1:
                hi = min(hi, stop)
            yield lo, hi, max(lo, start), min(hi, stop)
            lo = hi

    def read_range(self, start: int, stop: int) -> np.ndarray:
        """Rows ``[start, stop)`` in one read (whole chunks of a chunked dataset): a view of the reused buffer."""
        lo = start - start % self.step
        hi = stop if self.step == 1 else min(-(-stop // self.step) * self.step, self.num_jets)
        return self.read(lo, hi)[start - lo : stop - lo]

    def read(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``[lo, hi)`` in the file's dtype, ``(hi - lo[, num_slots])``: a view of the reused buffer."""
        shape = (hi - lo,) if self.num_slots is None else (hi - lo, self.num_slots)
        size = int(np.prod(shape))
        if self._buf.size < size:
            self._buf = np.empty(size, dtype=self.dtype)
        raw = self._buf[:size].reshape(shape)
        if not size:
            return raw
        if self._fd is not None:
            self._pread(raw, lo, hi)
            return raw
        fspace = self.ds.id.get_space()
        fspace.select_hyperslab((lo,) if self.num_slots is None else (lo, 0), shape)
        try:
            self.ds.id.read(h5s.create_simple(shape), fspace, raw, mtype=self.mtype)
        except (OSError, RuntimeError) as err:
            msg = (
                f"{self.path}: failed to read jets {lo}:{hi} of dataset '{self.ds.name.lstrip('/')}' "
                f"({err}). The file may be truncated or corrupted."
            )
            raise DataFileError(msg) from err
        return raw

    def _pread(self, raw: np.ndarray, lo: int, hi: int) -> None:
        """Rows ``[lo, hi)`` of a contiguous dataset straight from the file into ``raw``."""
        assert self._fd is not None and self._offset is not None
        view = raw.reshape(-1).view(np.uint8).data
        pos, done = self._offset + lo * self._row_bytes, 0
        while done < len(view):
            got = os.preadv(self._fd, [view[done:]], pos + done)
            if got <= 0:
                msg = (
                    f"{self.path}: failed to read jets {lo}:{hi} of dataset '{self.ds.name.lstrip('/')}' "
                    f"(the file ends {len(view) - done} bytes early). The file may be truncated or corrupted."
                )
                raise DataFileError(msg)
            done += got

    def close(self) -> None:
        """Close the file descriptor of reads without HDF5 (if any)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
