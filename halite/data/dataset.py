"""Iterable dataset yielding whole batches, sharded over workers and ranks."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from halite.data.parameters import PARAMETERS, ParameterConfig, sample_parameters
from halite.data.readers import Block, H5Reader, open_h5, stream_layout
from halite.data.specs import InputSpec
from halite.data.transforms import check_finite, map_labels, trim_length
from halite.typing import Batch


class BlockReader(Protocol):
    """What the dataset reads blocks with (HDF5 or columnar)."""

    def read(self, start: int, stop: int) -> Block: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Chunk:
    """Jets ``[start, stop)`` of file ``file_index``: the unit of reading and sharding."""

    file_index: int
    start: int
    stop: int


def dist_info() -> tuple[int, int]:
    """(rank, world size) of the torch.distributed group, (0, 1) when not distributed."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def split_chunks(lengths: Sequence[int], lo: int, hi: int, chunk_size: int) -> list[Chunk]:
    """Cut the global jet range ``[lo, hi)`` over files of ``lengths`` into chunks within files."""
    chunks = []
    offset = 0
    for fi, n in enumerate(lengths):
        a, b = max(lo, offset), min(hi, offset + n)
        for s in range(a, b, chunk_size):
            chunks.append(Chunk(fi, s - offset, min(b, s + chunk_size) - offset))
        offset += n
    return chunks


class JetDataset(IterableDataset):
    """Batches of jets from salt-format HDF5 files.

    Each rank gets a contiguous, equal share of the jets; its share is cut into
    chunks of ``batch_size * chunk_batches`` jets, the chunks are shuffled per epoch
    and dealt round-robin to the loader workers, so every jet is seen exactly once per
    epoch. Within a chunk jets are shuffled and, with ``bucket``, grouped by
    constituent count so that batches can be trimmed to their longest set; batch
    order is shuffled again.

    Parameters
    ----------
    files
        HDF5 files (all with the same datasets): local paths or fsspec URLs.
    specs
        Streams to read (inputs and labels).
    batch_size
        Jets per batch.
    num_jets
        Use only the first ``num_jets`` jets over all files (-1 = all).
    shuffle
        Shuffle chunks, jets and batches (training).
    bucket
        Group jets of similar length into batches (only with ``shuffle``).
    chunk_batches
        Batches per read chunk.
    seed
        Base seed; the epoch is added.
    non_finite
        ``"error"`` or ``"zero"``: what to do with NaN/inf inputs.
    parameters
        Configs of the ``PARAMETERS`` stream's columns (parameterised networks).
    parameter_stage
        ``"train"``: background jets get sampled parameter values; ``"test"``: all get the test value.
    """

    def __init__(
        self,
        files: Sequence[Path | str],
        specs: Sequence[InputSpec],
        batch_size: int,
        num_jets: int = -1,
        shuffle: bool = False,
        bucket: bool = False,
        chunk_batches: int = 16,
        seed: int = 42,
        non_finite: str = "error",
        parameters: list[ParameterConfig] | None = None,
        parameter_stage: str = "train",
    ) -> None:
        super().__init__()
        if batch_size < 1:
            msg = f"batch_size must be >= 1, got {batch_size}."
            raise ValueError(msg)
        self.files = list(files)
        self.specs = list(specs)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.bucket = bucket and shuffle
        self.chunk_size = batch_size * (chunk_batches if shuffle else 1)
        self.seed = seed
        self.non_finite = non_finite
        self.parameters = parameters
        self.parameter_stage = parameter_stage
        self.lengths = self.file_lengths()
        total = sum(self.lengths)
        if num_jets is not None and num_jets > total:
            msg = f"Requested {num_jets} jets but {[str(p) for p in self.files]} hold only {total}."
            raise ValueError(msg)
        self.num_jets = total if num_jets is None or num_jets < 0 else num_jets
        if self.num_jets == 0:
            msg = f"No jets to read in {[str(p) for p in self.files]}."
            raise ValueError(msg)
        self._epoch = mp.Value("q", 0)

    def file_lengths(self) -> list[int]:
        """Jets per file, checking every stream's dataset and fields first."""
        lengths = []
        for path in self.files:
            with open_h5(path) as f:
                for spec in self.specs:
                    stream_layout(f, path, spec)  # fail early with a clear message
                lengths.append(len(f[self.specs[0].dataset]))
        return lengths

    def open_reader(self, file_index: int) -> BlockReader:
        """A block reader of file ``file_index`` (``read(start, stop) -> Block``, ``close()``)."""
        return H5Reader(self.files[file_index], self.specs, packed=True)

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch used to seed the shuffling (shared with loader workers)."""
        self._epoch.value = epoch

    def rank_chunks(self, rank: int | None = None, world: int | None = None) -> list[Chunk]:
        """Chunks of a rank's share (default: this process's rank), in file order."""
        if rank is None or world is None:
            rank, world = dist_info()
        lo = self.num_jets * rank // world
        hi = self.num_jets * (rank + 1) // world
        return split_chunks(self.lengths, lo, hi, self.chunk_size)

    def _min_batches(self, chunks: Sequence[Chunk]) -> list[int]:
        return [-(-(c.stop - c.start) // self.batch_size) for c in chunks]

    def rank_plan(self) -> list[tuple[Chunk, int]]:
        """This rank's chunks with the number of batches to cut from each.

        Under DDP every rank must yield the same number of batches (a rank that runs out
        first would leave the others waiting in the gradient all-reduce forever). Shares
        differ by at most one jet but file boundaries can add partial batches, so ranks
        with fewer batches split their fullest batches until all ranks have as many as
        the rank with the most: every jet is still read exactly once per epoch.
        """
        rank, world = dist_info()
        target = max(sum(self._min_batches(self.rank_chunks(r, world))) for r in range(world))
        chunks = self.rank_chunks(rank, world)
        counts = self._min_batches(chunks)
        for _ in range(target - sum(counts)):
            sizes = [(c.stop - c.start) / k for c, k in zip(chunks, counts)]
            i = int(np.argmax(sizes))
            if sizes[i] <= 1:
                msg = (
                    f"Cannot give each of the {world} ranks {target} batches: rank {rank} holds only "
                    f"{sum(c.stop - c.start for c in chunks)} jets. Use fewer devices or more jets."
                )
                raise ValueError(msg)
            counts[i] += 1
        return list(zip(chunks, counts))

    def __len__(self) -> int:
        """Batches this rank yields per epoch (over all its workers); equal on every rank."""
        return sum(k for _, k in self.rank_plan())

    def worker_chunks(self, rng: np.random.Generator) -> list[tuple[Chunk, int]]:
        """This worker's chunks (with their batch counts) for the current epoch."""
        chunks = self.rank_plan()
        if self.shuffle:
            chunks = [chunks[i] for i in rng.permutation(len(chunks))]
        info = get_worker_info()
        if info is not None:
            chunks = chunks[info.id :: info.num_workers]
        return chunks

    def __iter__(self) -> Iterator[Batch]:
        rank, _ = dist_info()
        epoch_rng = np.random.default_rng([self.seed, int(self._epoch.value)])
        chunks = self.worker_chunks(epoch_rng)
        info = get_worker_info()
        rng = np.random.default_rng([self.seed, int(self._epoch.value), rank, info.id if info else 0, 1])
        readers: dict[int, BlockReader] = {}
        try:
            for chunk, num_batches in chunks:
                if chunk.file_index not in readers:
                    readers[chunk.file_index] = self.open_reader(chunk.file_index)
                block = readers[chunk.file_index].read(chunk.start, chunk.stop)
                yield from self.batches(block, rng, num_batches)
        finally:
            for r in readers.values():
                r.close()

    def batch_order(
        self, block: Block, rng: np.random.Generator, num_batches: int | None = None
    ) -> list[np.ndarray]:
        """Index arrays of the batches of ``block``; the fullest are halved up to ``num_batches``."""
        n = block.num_jets
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        if self.shuffle and self.bucket and block.valid:
            counts = sum(v.sum(axis=1) for v in block.valid.values())
            order = order[np.argsort(counts[order], kind="stable")]
        batches = [order[s : s + self.batch_size] for s in range(0, n, self.batch_size)]
        while num_batches is not None and len(batches) < num_batches:
            i = max(range(len(batches)), key=lambda j: len(batches[j]))
            half = len(batches[i]) // 2
            batches[i : i + 1] = [batches[i][:half], batches[i][half:]]
        if not self.shuffle:
            return batches
        return [batches[i] for i in rng.permutation(len(batches))]

    def batches(
        self, block: Block, rng: np.random.Generator, num_batches: int | None = None
    ) -> Iterator[Batch]:
        """Slice ``block`` into (at least ``num_batches``) trimmed batches."""
        for idx in self.batch_order(block, rng, num_batches):
            if self.shuffle:
                idx = np.sort(idx)  # memory locality; order inside a batch does not matter
            batch = self.make_batch(block, idx)
            if self.parameters and PARAMETERS in batch.inputs:
                values = sample_parameters(
                    batch.inputs[PARAMETERS].numpy(), self.parameters, self.parameter_stage, rng
                )
                batch.inputs[PARAMETERS] = torch.from_numpy(values)
            yield batch

    def make_batch(self, block: Block, idx: np.ndarray) -> Batch:
        """Build one ``Batch`` from rows ``idx`` of ``block`` (one copy per stream)."""
        inputs, masks, labels = {}, {}, {}
        for spec in self.specs:
            vals = block.values[spec.name]
            nvar = len(spec.variables)
            valid, packed = None, False
            if spec.is_global:
                cols = vals[idx].T  # (C, B)
            else:
                valid_all = block.valid[spec.name][idx]
                n = trim_length(valid_all)
                valid = np.ascontiguousarray(valid_all[:, :n])
                masks[spec.name] = torch.from_numpy(~valid)
                packed = spec.name in block.rows
                if packed:  # valid constituents only, field-major (C, T_batch)
                    cols = vals.T[:, block.rows[spec.name][idx, :n][valid]]
                else:
                    cols = np.moveaxis(vals[idx, :n], -1, 0)  # (C, B, n)
            x = to_batch(cols[:nvar], valid, packed)
            check_finite(x, spec.variables, spec.name, block.path, self.non_finite)
            inputs[spec.name] = torch.from_numpy(x)
            if spec.labels:
                fields = list(dict.fromkeys([*spec.variables, *(lab.name for lab in spec.labels)]))
                labels[spec.name] = {}
                for lab in spec.labels:
                    k = fields.index(lab.name)
                    col = to_batch(cols[k : k + 1], valid, packed)[..., 0]
                    if lab.kind == "class":
                        ignore = None if valid is None else ~valid
                        arr = map_labels(col, lab, spec.name, block.path, ignore)
                    else:
                        arr = col
                    labels[spec.name][lab.name] = torch.from_numpy(arr)
        return Batch(inputs, masks, labels)


def to_batch(cols: np.ndarray, valid: np.ndarray | None, packed: bool) -> np.ndarray:
    """Field-major ``(C, ...)`` values -> a contiguous batch array with the fields last.

    ``cols`` is ``(C, B)`` or ``(C, B, n)``, or with ``packed`` ``(C, T)`` holding only the
    valid constituents of ``valid`` ``(B, n)``, which are scattered into zeros ``(B, n, C)``.
    """
    if not packed:
        return np.ascontiguousarray(np.moveaxis(cols, 0, -1))
    assert valid is not None
    out = np.zeros((*valid.shape, cols.shape[0]), dtype=cols.dtype)
    out[valid] = cols.T
    return out
