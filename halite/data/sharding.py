"""Which jets each DDP rank and loader worker reads: pure arithmetic, no files, no torch.

The jets of a split (files of ``lengths`` jets, the first ``num_jets`` of them used) are
shared as follows:

1. every rank gets a contiguous share of ``num_jets * rank // world`` to
   ``num_jets * (rank + 1) // world`` (shares differ by at most one jet);
2. a share is cut into :class:`Chunk` s of at most ``chunk_size`` jets that never cross a
   file boundary (the unit of reading);
3. each chunk yields ``ceil(size / batch_size)`` batches; ranks with fewer batches than the
   rank with the most split their fullest batches until all ranks have as many (DDP needs
   the same number of steps on every rank);
4. the (shuffled) chunks of a rank are dealt round-robin to its loader workers.

So every jet is read exactly once per epoch over all workers and ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from halite.errors import DataError

T = TypeVar("T")


@dataclass(frozen=True)
class Chunk:
    """Jets ``[start, stop)`` of file ``file_index``: the unit of reading and sharding."""

    file_index: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        """Jets in the chunk."""
        return self.stop - self.start


def rank_share(num_jets: int, rank: int, world: int) -> tuple[int, int]:
    """Global jet range ``[lo, hi)`` of ``rank`` among ``world`` ranks (contiguous, near-equal)."""
    if world < 1 or not 0 <= rank < world:
        msg = f"rank {rank} is not in [0, world={world}); world must be >= 1."
        raise DataError(msg)
    return num_jets * rank // world, num_jets * (rank + 1) // world


def split_chunks(lengths: Sequence[int], lo: int, hi: int, chunk_size: int) -> list[Chunk]:
    """Cut the global jet range ``[lo, hi)`` over files of ``lengths`` into chunks within files."""
    if chunk_size < 1:
        msg = f"chunk_size must be >= 1, got {chunk_size}."
        raise DataError(msg)
    chunks = []
    offset = 0
    for fi, n in enumerate(lengths):
        a, b = max(lo, offset), min(hi, offset + n)
        for s in range(a, b, chunk_size):
            chunks.append(Chunk(fi, s - offset, min(b, s + chunk_size) - offset))
        offset += n
    return chunks


def rank_chunks(lengths: Sequence[int], num_jets: int, rank: int, world: int, chunk_size: int) -> list[Chunk]:
    """Chunks of ``rank``'s share of the first ``num_jets`` jets, in file order."""
    lo, hi = rank_share(num_jets, rank, world)
    return split_chunks(lengths, lo, hi, chunk_size)


def min_batches(chunks: Sequence[Chunk], batch_size: int) -> list[int]:
    """Batches of each chunk when cut into batches of at most ``batch_size`` jets."""
    return [-(-c.size // batch_size) for c in chunks]


def rank_plan(
    lengths: Sequence[int], num_jets: int, rank: int, world: int, chunk_size: int, batch_size: int
) -> list[tuple[Chunk, int]]:
    """``rank``'s chunks with the number of batches to cut from each, equal in total on every rank.

    Under DDP every rank must yield the same number of batches (a rank that runs out first
    would leave the others waiting in the gradient all-reduce forever). Shares differ by at
    most one jet but file boundaries can add partial batches, so ranks with fewer batches
    split the chunk with the most jets per batch until they have as many as the rank with
    the most. Raises ``ValueError`` when a rank holds fewer jets than batches needed.
    """
    target = max(
        sum(min_batches(rank_chunks(lengths, num_jets, r, world, chunk_size), batch_size))
        for r in range(world)
    )
    chunks = rank_chunks(lengths, num_jets, rank, world, chunk_size)
    counts = min_batches(chunks, batch_size)
    for _ in range(target - sum(counts)):
        sizes = [c.size / k for c, k in zip(chunks, counts)]
        i = int(np.argmax(sizes))
        if sizes[i] <= 1:
            msg = (
                f"Cannot give each of the {world} ranks {target} batches: rank {rank} holds only "
                f"{sum(c.size for c in chunks)} jets. Use fewer devices or more jets."
            )
            raise DataError(msg)
        counts[i] += 1
    return list(zip(chunks, counts))


def deal(items: Sequence[T], worker: int, num_workers: int) -> list[T]:
    """The items of ``worker`` when ``items`` are dealt round-robin to ``num_workers`` workers."""
    if num_workers < 1 or not 0 <= worker < num_workers:
        msg = f"worker {worker} is not in [0, num_workers={num_workers}); num_workers must be >= 1."
        raise DataError(msg)
    return list(items[worker::num_workers])


def resume_role(counts: Sequence[int], worker: int, skip: int) -> tuple[int, int]:
    """(role, batches of the role already delivered) of ``worker`` when resuming after ``skip`` batches.

    A DataLoader takes batches from its workers round-robin, starting at worker 0 and passing
    over workers that have run out; worker ``w`` (its *role*: chunks and random stream) of
    the interrupted epoch, holding ``counts[w]`` batches, delivered its first ``taken[w]``.
    A new loader starts asking at worker 0 again, so worker ``i`` takes the role
    ``(first + i) % num_workers``, where ``first`` is the role whose turn came next: the
    batches then arrive in the uninterrupted order.
    """
    workers = len(counts)
    if not 0 <= worker < workers:
        msg = f"worker {worker} is not in [0, {workers}) (one batch count per worker)."
        raise DataError(msg)
    if not 0 <= skip <= sum(counts):
        msg = f"Cannot skip {skip} batches: the workers hold {sum(counts)} ({list(counts)})."
        raise DataError(msg)
    if skip == 0:
        return worker, 0
    taken = [0] * workers
    left, last = skip, workers - 1
    while left > 0:
        for w in range(workers):
            if left > 0 and taken[w] < counts[w]:
                taken[w] += 1
                left -= 1
                last = w
    role = (worker + last + 1) % workers
    return role, taken[role]


def halve_fullest(batches: list[np.ndarray], num_batches: int | None) -> list[np.ndarray]:
    """Split the fullest batch (the first of the fullest) in two until there are ``num_batches``.

    ``batches`` are index arrays; the result holds the same indices in the same order.
    """
    batches = list(batches)
    while num_batches is not None and len(batches) < num_batches:
        i = max(range(len(batches)), key=lambda j: len(batches[j]))
        half = len(batches[i]) // 2
        batches[i : i + 1] = [batches[i][:half], batches[i][half:]]
    return batches
