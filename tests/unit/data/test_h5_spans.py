"""Span reads of HDF5 datasets and the packed blocks built span by span, against plain h5py + numpy."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import halite.data.h5_spans as h5_spans
from halite.data.block_reader import Block
from halite.data.dataset import JetDataset
from halite.data.h5_spans import DatasetSpans
from halite.data.readers import H5Reader
from halite.data.specs import InputSpec, LabelSpec
from halite.errors import DataFileError

TRACK_DTYPE = np.dtype(
    [
        ("valid", "?"),
        ("a", "<f2"),  # float16, then float32 and small ints: several runs of casts
        ("b", "<f4"),
        ("c", "<f4"),
        ("hits", "u1"),
        ("origin", "i1"),
        ("w", "<f8"),
    ]
)
JET_DTYPE = np.dtype([("pt", "<f2"), ("eta", "<f4"), ("flavour", "<i4")])
SPECS = [
    InputSpec("jets", "jets", ("eta", "pt"), is_global=True, labels=(LabelSpec("flavour", "class", num_classes=3),)),
    InputSpec(
        "tracks", "tracks", ("c", "a", "hits", "b"), max_length=7,
        labels=(LabelSpec("origin", "class", num_classes=4), LabelSpec("w", "value"), LabelSpec("a", "value")),
    ),
]  # fmt: skip


def write(path: Path, n: int, holes: bool, chunks: int | None = None) -> Path:
    """``n`` jets of 9 track slots; with ``holes`` some valid slots follow padding ones (no leading runs)."""
    rng = np.random.default_rng(5)
    tracks = np.zeros((n, 9), dtype=TRACK_DTYPE)
    counts = rng.integers(0, 10, size=n)
    valid = np.arange(9) < counts[:, None]
    if holes:
        valid = rng.random((n, 9)) < 0.4
    tracks["valid"] = valid
    for name in ("a", "b", "c", "w"):
        tracks[name] = rng.normal(size=(n, 9))
    tracks["hits"] = rng.integers(0, 12, size=(n, 9))
    tracks["origin"] = rng.integers(0, 4, size=(n, 9))
    tracks["b"][~valid] = np.nan  # padding content is never read into a batch
    jets = np.zeros(n, dtype=JET_DTYPE)
    jets["pt"], jets["eta"] = rng.normal(size=n), rng.normal(size=n)
    jets["flavour"] = rng.integers(0, 3, size=n)
    with h5py.File(path, "w") as f:
        f.create_dataset("tracks", data=tracks, chunks=None if chunks is None else (chunks, 9))
        f.create_dataset("jets", data=jets, chunks=None if chunks is None else (chunks,))
    return path


@pytest.mark.parametrize("chunks", [None, 13])
def test_spans_cover_the_range_and_read_the_file_bytes(tmp_path: Path, chunks: int | None) -> None:
    path = write(tmp_path / "f.h5", 200, holes=False, chunks=chunks)
    with h5py.File(path) as f:
        want = f["tracks"][:, :7]
        spans = DatasetSpans(path, f["tracks"], 7, span_bytes=30 * 7 * TRACK_DTYPE.itemsize)
        assert spans.mtype is not None  # the file's type: no conversion, no type built per read
        for start, stop in ((0, 200), (5, 6), (17, 141), (190, 200)):
            got = []
            for lo, hi, a, b in spans.spans(start, stop):
                assert lo <= a < b <= hi and (
                    chunks is None or (lo % chunks == 0 and (hi % chunks == 0 or hi == 200))
                )
                got.append(spans.read(lo, hi)[a - lo : b - lo].copy())
            assert np.concatenate(got).tobytes() == want[start:stop].tobytes()
            assert spans.read_range(start, stop).tobytes() == want[start:stop].tobytes()


@pytest.mark.parametrize("chunks", [None, 13])
def test_local_contiguous_rows_are_read_without_hdf5(tmp_path: Path, chunks: int | None) -> None:
    """Full rows of a local contiguous dataset come from ``os.preadv``: the same bytes as h5py's read."""
    path = write(tmp_path / "f.h5", 150, holes=True, chunks=chunks)
    with h5py.File(path) as f:
        for name, slots in (("tracks", 9), ("tracks", 7), ("jets", 0)):
            spans = DatasetSpans(path, f[name], slots, span_bytes=1000, local=True)
            assert (spans._fd is not None) == (chunks is None and slots != 7)  # truncated rows: HDF5
            want = f[name][:, :slots] if slots else f[name][:]
            got = np.concatenate(
                [spans.read(lo, hi)[a - lo : b - lo].copy() for lo, hi, a, b in spans.spans(3, 150)]
            )
            assert got.tobytes() == want[3:].tobytes()
            spans.close()


def test_a_file_cut_after_opening_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "f.h5", 150, holes=False)
    with h5py.File(path) as f:
        spans = DatasetSpans(path, f["tracks"], 9, local=True)
        os.truncate(path, spans._offset + 100 * 9 * TRACK_DTYPE.itemsize)
        with pytest.raises(DataFileError, match=r"f\.h5: failed to read jets 0:150 of dataset 'tracks'"):
            spans.read(0, 150)
        spans.close()


def padded_batch(block: Block, idx: np.ndarray) -> dict[str, np.ndarray]:
    """A training batch's arrays from an unpacked block, with numpy alone (the padding zeroed)."""
    tracks, valid = block.values["tracks"][idx], block.valid["tracks"][idx]
    n = max(1, int(valid.sum(1).max()))
    tracks, valid = tracks[:, :n], valid[:, :n]
    tracks = np.where(valid[..., None], tracks, 0.0)
    origin = np.where(valid, tracks[..., 4].astype(np.int64), -1)
    jets = block.values["jets"][idx]
    return {
        "jets": jets[:, :2], "flavour": jets[:, 2].astype(np.int64), "tracks": tracks[..., :4],
        "mask": ~valid, "origin": origin, "w": tracks[..., 5], "a": tracks[..., 1],
    }  # fmt: skip


@pytest.mark.parametrize("max_length", [7, None])  # None: full rows, read without HDF5 when contiguous
@pytest.mark.parametrize("holes", [False, True])
@pytest.mark.parametrize("chunks", [None, 13])
def test_packed_spans_give_the_batches_of_a_plain_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, holes: bool, chunks: int | None, max_length: int | None
) -> None:
    """float16 / float32 / integer fields, padding, truncation, class and value labels, one or many spans."""
    path = write(tmp_path / "f.h5", 300, holes=holes, chunks=chunks)
    specs = [SPECS[0], dataclasses.replace(SPECS[1], max_length=max_length)]
    ds = JetDataset([path], specs, batch_size=32, shuffle=True, bucket=True, chunk_batches=4)
    plain = H5Reader(path, specs)  # unpacked: one read, every slot cast
    for span_bytes in (1, 40 * 7 * TRACK_DTYPE.itemsize, h5_spans.SPAN_BYTES):
        monkeypatch.setattr(h5_spans, "SPAN_BYTES", span_bytes)
        reader = H5Reader(path, specs, packed=True)
        for start, stop in ((0, 128), (101, 300)):
            packed, ref = reader.read(start, stop), plain.read(start, stop)
            assert set(packed.label_columns["tracks"]) == {"origin", "w", "a"}
            assert (packed.rows if holes else packed.offsets).keys() == {"tracks"}
            for idx in ds.batch_order(packed, np.random.default_rng(start)):
                idx = np.sort(idx)
                got, want = ds.make_batch(packed, idx), padded_batch(ref, idx)
                assert torch.equal(got.inputs["jets"], torch.from_numpy(want["jets"]))
                assert torch.equal(got.inputs["tracks"], torch.from_numpy(want["tracks"]))
                assert torch.equal(got.pad_masks["tracks"], torch.from_numpy(want["mask"]))
                assert torch.equal(got.labels["jets"]["flavour"], torch.from_numpy(want["flavour"]))
                for name in ("origin", "w", "a"):
                    assert torch.equal(got.labels["tracks"][name], torch.from_numpy(want[name])), name
        reader.close()
    plain.close()
