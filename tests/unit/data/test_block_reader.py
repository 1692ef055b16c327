"""The reader seam: one factory picks the reader from the files; the dataset reads through what it is given."""

from __future__ import annotations

import pickle
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import torch

from halite.data.block_reader import Block, ReaderFactory, reader_factory
from halite.data.columnar.config import columnar_config
from halite.data.columnar.reader import ColumnarReaderFactory
from halite.data.dataset import JetDataset
from halite.data.readers import H5Reader, H5ReaderFactory
from halite.data.specs import InputSpec

SPECS = [
    InputSpec("jets", "jets", ("pt_btagJes", "eta_btagJes"), is_global=True),
    InputSpec("tracks", "tracks", ("d0", "z0SinTheta"), max_length=10),
]
PARQUET_CONFIG = {
    "layout": "jet",
    "streams": {"jets": {"branches": ["pt"]}, "tracks": {"branches": ["eta"], "max_length": 3}},
}


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "jets.parquet"
    counts = np.array([2, 0, 5, 1])
    ak.to_parquet(
        ak.Array({"pt": [10.0, 20.0, 30.0, 40.0], "eta": ak.unflatten(np.arange(8.0), counts)}), path
    )
    return path


def parquet_specs() -> list[InputSpec]:
    return [InputSpec("jets", "jets", ("pt",), is_global=True), InputSpec("tracks", "tracks", ("eta",))]


def test_factory_chooses_by_suffix(tiny_data: dict[str, Path], parquet: Path) -> None:
    h5 = reader_factory([tiny_data["train"]], SPECS)
    assert isinstance(h5, H5ReaderFactory)
    col = reader_factory([parquet], parquet_specs(), columnar_config(PARQUET_CONFIG), "jets")
    assert isinstance(col, ColumnarReaderFactory)
    with pytest.raises(ValueError, match="mix HDF5 with ROOT/parquet"):
        reader_factory([tiny_data["train"], parquet], SPECS, columnar_config(PARQUET_CONFIG))
    with pytest.raises(ValueError, match=r"jets.parquet is a ROOT/parquet file: add a data.columnar section"):
        reader_factory([parquet], parquet_specs())


def test_h5_factory_counts_checks_and_opens(tiny_data: dict[str, Path]) -> None:
    factory = reader_factory([tiny_data["train"]], SPECS)
    assert factory.num_jets(tiny_data["train"]) == 1500
    reader = factory.open(tiny_data["train"])
    try:
        assert isinstance(reader, H5Reader) and reader.packed and reader.num_jets == 1500
        block = reader.read(10, 30)
    finally:
        reader.close()
    assert block.num_jets == 20 and block.start == 10
    assert block.values["tracks"].shape == (int(block.valid["tracks"].sum()) + 1, 2)  # packed + zero row
    bad = [InputSpec("tracks", "tracks", ("no_such_var",))]
    with pytest.raises(KeyError, match=r"variable 'no_such_var' not found in dataset 'tracks'"):
        reader_factory([tiny_data["train"]], bad).num_jets(tiny_data["train"])


def test_columnar_factory_counts_once_and_reads(parquet: Path) -> None:
    factory = reader_factory([parquet], parquet_specs(), columnar_config(PARQUET_CONFIG), "jets")
    assert factory.num_jets(parquet) == 4
    assert isinstance(factory, ColumnarReaderFactory)
    np.testing.assert_array_equal(factory.offsets[str(parquet)], [0, 1, 2, 3, 4])
    reader = factory.open(parquet)
    try:
        assert reader.num_jets == 4
        block = reader.read(1, 4)
    finally:
        reader.close()
    np.testing.assert_array_equal(block.values["jets"][:, 0], [20.0, 30.0, 40.0])
    np.testing.assert_array_equal(block.valid["tracks"], [[0, 0, 0], [1, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(block.values["tracks"][2, :1, 0], [7.0])
    assert factory.slot_widths() == {"tracks": 3}
    records = factory.global_records([parquet], 3)
    np.testing.assert_array_equal(records["pt"], [10.0, 20.0, 30.0])


def test_factories_survive_pickling(tiny_data: dict[str, Path], parquet: Path) -> None:
    """Loader workers get the dataset, and with it the factory, pickled under ``spawn``."""
    for factory, path in (
        (reader_factory([tiny_data["train"]], SPECS), tiny_data["train"]),
        (reader_factory([parquet], parquet_specs(), columnar_config(PARQUET_CONFIG), "jets"), parquet),
    ):
        n = factory.num_jets(path)
        copy = pickle.loads(pickle.dumps(factory))
        reader = copy.open(path)
        try:
            assert reader.num_jets == n
        finally:
            reader.close()


class ArrayReaders:
    """An in-memory reader factory: global values ``(n, 1)`` equal to the jet index."""

    def __init__(self, lengths: dict[str, int]) -> None:
        self.lengths = lengths
        self.opened: list[str] = []

    def num_jets(self, path: Path | str) -> int:
        return self.lengths[str(path)]

    def open(self, path: Path | str) -> ArrayReader:
        self.opened.append(str(path))
        return ArrayReader(str(path), self.lengths[str(path)])


class ArrayReader:
    def __init__(self, path: str, num_jets: int) -> None:
        self.path, self.num_jets = path, num_jets

    def read(self, start: int, stop: int) -> Block:
        values = np.arange(start, stop, dtype=np.float32)[:, None]
        return Block(self.path, start, {"jets": values}, {})

    def close(self) -> None:
        """Nothing to release."""


def test_dataset_reads_through_the_injected_factory() -> None:
    readers = ArrayReaders({"a": 7, "b": 5})
    factory: ReaderFactory = readers
    spec = [InputSpec("jets", "jets", ("x",), is_global=True)]
    ds = JetDataset(["a", "b"], spec, batch_size=3, shuffle=True, chunk_batches=1, seed=0, readers=factory)
    assert ds.lengths == [7, 5] and len(ds) == 5
    got = torch.cat([b.inputs["jets"][:, 0] for b in ds])
    want = torch.tensor(sorted([*range(7), *range(5)]), dtype=torch.float32)  # every jet of both files once
    torch.testing.assert_close(got.sort().values, want)
    assert sorted(set(readers.opened)) == ["a", "b"]
