"""Iterable dataset yielding whole batches, sharded over workers and ranks."""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from halite.data import sharding
from halite.data.batching import make_batch
from halite.data.block_reader import Block, BlockReader, ReaderFactory
from halite.data.multi_target import MultiTarget
from halite.data.parameters import PARAMETERS, ParameterConfig, sample_parameters
from halite.data.readers import H5ReaderFactory
from halite.data.sharding import Chunk
from halite.data.specs import InputSpec
from halite.errors import DataError
from halite.typing import Batch

log = logging.getLogger(__name__)


def dist_info() -> tuple[int, int]:
    """(rank, world size) of the torch.distributed group, (0, 1) when not distributed."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class JetDataset(IterableDataset):
    """Batches of jets from files read through a :class:`~halite.data.block_reader.ReaderFactory`.

    Each rank gets a contiguous, equal share of the jets; its share is cut into
    chunks of ``batch_size * chunk_batches`` jets, the chunks are shuffled per epoch
    and dealt round-robin to the loader workers, so every jet is seen exactly once per
    epoch. Within a chunk jets are shuffled and, with ``bucket``, grouped by
    constituent count so that batches can be trimmed to their longest set; batch
    order is shuffled again.

    Parameters
    ----------
    files
        Files of one format with the same streams: local paths or fsspec URLs.
    specs
        Streams to read (inputs and labels).
    readers
        Opens the block readers of ``files`` (``halite.data.block_reader.reader_factory``
        chooses it from the files); default: salt-format HDF5 read with ``specs``.
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
        ``"error"``: stop on NaN/inf inputs; ``"zero"`` / ``"replace"``: replace them with
        ``non_finite_value`` (0 for ``"zero"``) and log the counts per stream and variable.
    non_finite_value
        Replacement value for ``non_finite="replace"``.
    parameters
        Configs of the ``PARAMETERS`` stream's columns (parameterised networks).
    parameter_stage
        ``"train"``: background jets get sampled parameter values; ``"test"``: all get the test value.
    multi_target
        Conditional targets built from the labels of each batch (``halite.data.multi_target``).

    Notes
    -----
    Resuming mid-epoch: :meth:`resume_at` makes the next iteration skip the batches
    already consumed in that epoch. The skipped chunks are not read; the shuffling
    random generators are advanced exactly as if they had been, so the remaining
    batches are identical to those of an uninterrupted epoch. (With ``parameters``,
    whose sampling draws per batch, skipped batches are built and dropped instead.)
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
        non_finite_value: float = 0.0,
        parameters: list[ParameterConfig] | None = None,
        parameter_stage: str = "train",
        readers: ReaderFactory | None = None,
        multi_target: Sequence[MultiTarget] = (),
    ) -> None:
        super().__init__()
        if batch_size < 1:
            msg = f"batch_size must be >= 1, got {batch_size}."
            raise DataError(msg)
        self.files = list(files)
        self.specs = list(specs)
        self.readers = H5ReaderFactory(tuple(self.specs)) if readers is None else readers
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.bucket = bucket and shuffle
        self.chunk_size = batch_size * (chunk_batches if shuffle else 1)
        self.seed = seed
        self.non_finite = non_finite
        self.non_finite_value = 0.0 if non_finite == "zero" else float(non_finite_value)
        self.parameters = parameters
        self.parameter_stage = parameter_stage
        self.multi_target = tuple(multi_target)
        self.lengths = self.file_lengths()
        total = sum(self.lengths)
        if num_jets is not None and num_jets > total:
            msg = f"Requested {num_jets} jets but {[str(p) for p in self.files]} hold only {total}."
            raise DataError(msg)
        self.num_jets = total if num_jets is None or num_jets < 0 else num_jets
        if self.num_jets == 0:
            msg = f"No jets to read in {[str(p) for p in self.files]}."
            raise DataError(msg)
        self._epoch = mp.Value("q", 0)
        self._skip = mp.Value("q", 0)

    @property
    def epoch(self) -> int:
        """The epoch seeding the shuffling."""
        return int(self._epoch.value)

    @property
    def batches_skipped(self) -> int:
        """Batches of the current epoch that the next iteration leaves out (see ``resume_at``)."""
        return int(self._skip.value)

    def file_lengths(self) -> list[int]:
        """Jets per file, checking every stream's fields first (by the reader factory)."""
        return [self.readers.num_jets(path) for path in self.files]

    def open_reader(self, file_index: int) -> BlockReader:
        """A block reader of file ``file_index`` (``read(start, stop) -> Block``, ``close()``)."""
        return self.readers.open(self.files[file_index])

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` from its first batch (shared with persistent loader workers)."""
        self._epoch.value = epoch
        self._skip.value = 0

    def resume_at(self, epoch: int, batches_done: int) -> None:
        """Continue epoch ``epoch`` after the first ``batches_done`` batches (over all workers)."""
        if not 0 <= batches_done <= len(self):
            msg = (
                f"Cannot resume after {batches_done} batches: an epoch of this dataset has {len(self)} "
                f"batches. The checkpoint was made with different data settings (files, num_train, "
                f"batch_size); resume with the settings saved in the run's config.yaml."
            )
            raise DataError(msg)
        self._epoch.value = epoch
        self._skip.value = batches_done

    def rank_chunks(self, rank: int | None = None, world: int | None = None) -> list[Chunk]:
        """Chunks of a rank's share (default: this process's rank), in file order."""
        if rank is None or world is None:
            rank, world = dist_info()
        return sharding.rank_chunks(self.lengths, self.num_jets, rank, world, self.chunk_size)

    def rank_plan(self) -> list[tuple[Chunk, int]]:
        """This rank's chunks with the number of batches to cut from each, equal on every rank.

        See :func:`halite.data.sharding.rank_plan`: every jet is still read exactly once per epoch.
        """
        rank, world = dist_info()
        return sharding.rank_plan(self.lengths, self.num_jets, rank, world, self.chunk_size, self.batch_size)

    def __len__(self) -> int:
        """Batches this rank yields per epoch (over all its workers); equal on every rank."""
        return sum(k for _, k in self.rank_plan())

    def worker_chunks(self, rng: np.random.Generator, role: int | None = None) -> list[tuple[Chunk, int]]:
        """The chunks (with their batch counts) of worker ``role`` (default: this worker) this epoch."""
        chunks = self.rank_plan()
        if self.shuffle:
            chunks = [chunks[i] for i in rng.permutation(len(chunks))]
        info = get_worker_info()
        if info is not None:
            chunks = sharding.deal(chunks, info.id if role is None else role, info.num_workers)
        return chunks

    def worker_role(self, epoch: int, skip: int) -> tuple[int, int]:
        """(role, batches of the role already delivered) of this worker when resuming after ``skip``.

        See :func:`halite.data.sharding.resume_role`.
        """
        info = get_worker_info()
        if info is None:
            return 0, skip
        if skip == 0:
            return info.id, 0
        counts = [
            sum(k for _, k in self.worker_chunks(np.random.default_rng([self.seed, epoch]), w))
            for w in range(info.num_workers)
        ]
        return sharding.resume_role(counts, info.id, skip)

    def __iter__(self) -> Iterator[Batch]:
        rank, _ = dist_info()
        epoch = int(self._epoch.value)
        role, skip = self.worker_role(epoch, int(self._skip.value))
        chunks = self.worker_chunks(np.random.default_rng([self.seed, epoch]), role)
        rng = np.random.default_rng([self.seed, epoch, rank, role, 1])
        readers: dict[int, BlockReader] = {}
        try:
            for chunk, nb in chunks:
                if self.parameters:  # per-batch draws: build the skipped batches to keep the stream exact
                    for batch in self.batches(
                        self.open_or_get(readers, chunk).read(chunk.start, chunk.stop), rng, nb
                    ):
                        if skip > 0:
                            skip -= 1
                            continue
                        yield batch
                    continue
                if skip >= nb and self.shuffle:
                    # advance the generator as batch_order would, without reading the chunk
                    rng.permutation(chunk.stop - chunk.start)
                    rng.permutation(nb)
                    skip -= nb
                    continue
                if skip >= nb:
                    skip -= nb
                    continue
                block = self.open_or_get(readers, chunk).read(chunk.start, chunk.stop)
                yield from self.batches(block, rng, nb, skip)
                skip = 0
        finally:
            for r in readers.values():
                r.close()

    def open_or_get(self, readers: dict[int, BlockReader], chunk: Chunk) -> BlockReader:
        """The reader of ``chunk``'s file, opened on first use."""
        if chunk.file_index not in readers:
            readers[chunk.file_index] = self.open_reader(chunk.file_index)
        return readers[chunk.file_index]

    def batch_order(
        self, block: Block, rng: np.random.Generator, num_batches: int | None = None
    ) -> list[np.ndarray]:
        """Index arrays of the batches of ``block``; the fullest are halved up to ``num_batches``."""
        n = block.num_jets
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        if self.shuffle and self.bucket and block.valid:
            counts: np.ndarray = np.sum([block.counts(s) for s in block.valid], axis=0)
            keys = counts[order]
            if len(keys) and keys.max() < 2**16:  # small ints: numpy's stable sort is a radix sort, 8x faster
                keys = keys.astype(np.min_scalar_type(keys.max()))
            order = order[np.argsort(keys, kind="stable")]
        batches = [order[s : s + self.batch_size] for s in range(0, n, self.batch_size)]
        batches = sharding.halve_fullest(batches, num_batches)
        if not self.shuffle:
            return batches
        return [batches[i] for i in rng.permutation(len(batches))]

    def batches(
        self, block: Block, rng: np.random.Generator, num_batches: int | None = None, skip: int = 0
    ) -> Iterator[Batch]:
        """Slice ``block`` into (at least ``num_batches``) trimmed batches, leaving out the first ``skip``."""
        replaced: dict[str, int] = {}
        for idx in self.batch_order(block, rng, num_batches)[skip:]:
            if self.shuffle:
                idx = np.sort(idx)  # memory locality; order inside a batch does not matter
            batch = self.make_batch(block, idx, replaced)
            if self.parameters and PARAMETERS in batch.inputs:
                values = sample_parameters(
                    batch.inputs[PARAMETERS].numpy(), self.parameters, self.parameter_stage, rng
                )
                batch.inputs[PARAMETERS] = torch.from_numpy(values)
            yield batch
        if replaced:
            log.warning(
                "%s: replaced non-finite (NaN/inf) inputs with %s in jets %d:%d: %s",
                block.path,
                self.non_finite_value,
                block.start,
                block.start + next(iter(block.values.values())).shape[0],
                replaced,
            )

    def make_batch(self, block: Block, idx: np.ndarray, replaced: dict[str, int] | None = None) -> Batch:
        """Build one ``Batch`` from rows ``idx`` of ``block`` (see :func:`halite.data.batching.make_batch`).

        ``replaced`` accumulates the count of replaced non-finite values per ``stream.variable``.
        """
        return make_batch(
            block, idx, self.specs, self.non_finite, self.non_finite_value, self.multi_target, replaced
        )
