"""Sharding arithmetic: every jet exactly once over ranks x workers, equal batches per rank."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from halite.data.sharding import (
    Chunk,
    deal,
    halve_fullest,
    min_batches,
    rank_chunks,
    rank_plan,
    rank_share,
    resume_role,
    split_chunks,
)


def jets_of(chunks: list[Chunk], lengths: list[int]) -> list[int]:
    """Global jet indices covered by ``chunks``."""
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return [int(offsets[c.file_index]) + j for c in chunks for j in range(c.start, c.stop)]


@pytest.mark.parametrize(
    ("lengths", "num_jets", "world", "workers", "chunk_size", "batch_size"),
    [
        ([1000], 1000, 1, 1, 64, 32),
        ([1000], 1000, 3, 2, 64, 32),
        ([123, 457, 1, 99], 680, 4, 3, 50, 25),
        ([123, 457, 1, 99], 500, 2, 4, 7, 7),
        ([10, 10, 10], 30, 3, 5, 4, 2),
        ([5000], 4999, 8, 1, 1000, 100),
    ],
)
def test_every_jet_exactly_once(
    lengths: list[int], num_jets: int, world: int, workers: int, chunk_size: int, batch_size: int
) -> None:
    seen: list[int] = []
    batches_per_rank = []
    for rank in range(world):
        plan = rank_plan(lengths, num_jets, rank, world, chunk_size, batch_size)
        batches_per_rank.append(sum(k for _, k in plan))
        for c, k in plan:
            assert 0 <= c.start < c.stop <= lengths[c.file_index]  # chunks stay inside their file
            assert c.size <= chunk_size and 1 <= k <= c.size
        for worker in range(workers):
            seen += jets_of([c for c, _ in deal(plan, worker, workers)], lengths)
    assert sorted(seen) == list(range(num_jets))
    assert len(set(batches_per_rank)) == 1  # DDP: the same number of steps on every rank


def test_rank_shares_are_contiguous_and_near_equal() -> None:
    shares = [rank_share(10, r, 4) for r in range(4)]
    assert shares == [(0, 2), (2, 5), (5, 7), (7, 10)]
    sizes = [hi - lo for lo, hi in shares]
    assert max(sizes) - min(sizes) <= 1
    with pytest.raises(ValueError, match=r"rank 4 is not in \[0, world=4\)"):
        rank_share(10, 4, 4)
    with pytest.raises(ValueError, match="world must be >= 1"):
        rank_share(10, 0, 0)


def test_split_chunks_cut_at_file_boundaries() -> None:
    chunks = split_chunks([5, 3], 2, 8, 4)
    assert chunks == [Chunk(0, 2, 5), Chunk(1, 0, 3)]
    assert split_chunks([5, 3], 4, 4, 4) == []  # empty range
    assert split_chunks([0, 3], 0, 3, 2) == [Chunk(1, 0, 2), Chunk(1, 2, 3)]  # empty file
    with pytest.raises(ValueError, match="chunk_size must be >= 1, got 0"):
        split_chunks([5], 0, 5, 0)


def test_min_batches_rounds_up() -> None:
    assert min_batches([Chunk(0, 0, 10), Chunk(0, 10, 11), Chunk(1, 0, 20)], 10) == [1, 1, 2]


def test_rank_plan_splits_batches_of_the_poorer_rank() -> None:
    # rank 0 holds jets [0, 6) of file 0: chunks of 4 + 2 -> 2 batches; rank 1 holds [6, 12),
    # crossing the file boundary at 7: chunks of 1, 4, 1 -> 3 batches, so rank 0 splits one.
    lengths = [7, 5]
    plans = [rank_plan(lengths, 12, r, 2, 4, 4) for r in range(2)]
    counts = [sum(k for _, k in p) for p in plans]
    assert counts[0] == counts[1] == 3
    assert rank_chunks(lengths, 12, 1, 2, 4) == [Chunk(0, 6, 7), Chunk(1, 0, 4), Chunk(1, 4, 5)]


def test_rank_plan_refuses_too_few_jets() -> None:
    with pytest.raises(ValueError, match="rank 0 holds only 1 jets. Use fewer devices or more jets"):
        rank_plan([1, 1, 1], 3, 0, 2, 1, 1)


def test_deal_round_robin_and_bad_worker() -> None:
    assert deal(list(range(7)), 1, 3) == [1, 4]
    assert deal([], 0, 2) == []
    with pytest.raises(ValueError, match=r"worker 3 is not in \[0, num_workers=3\)"):
        deal([1, 2], 3, 3)


@pytest.mark.parametrize("counts", [[3, 3, 2], [5, 1, 0], [1], [2, 4]])
def test_resume_role_continues_the_round_robin_order(counts: list[int]) -> None:
    """Resuming after ``skip`` batches yields exactly the rest of the uninterrupted order."""
    workers = len(counts)

    def round_robin(streams: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
        out = []
        for row in itertools.zip_longest(*streams):
            out += [x for x in row if x is not None]
        return out

    full = round_robin([[(w, i) for i in range(counts[w])] for w in range(workers)])
    for skip in range(sum(counts) + 1):
        streams = []
        for worker in range(workers):
            role, taken = resume_role(counts, worker, skip)
            streams.append([(role, i) for i in range(taken, counts[role])])
        assert round_robin(streams) == full[skip:]


def test_resume_role_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"Cannot skip 9 batches: the workers hold 3"):
        resume_role([1, 2], 0, 9)
    with pytest.raises(ValueError, match=r"worker 2 is not in \[0, 2\)"):
        resume_role([1, 2], 2, 0)


def test_halve_fullest_keeps_every_index_in_order() -> None:
    batches = [np.arange(0, 4), np.arange(4, 6)]
    out = halve_fullest(batches, 4)
    assert [b.tolist() for b in out] == [[0], [1], [2, 3], [4, 5]]
    assert halve_fullest(batches, None) == batches
    assert halve_fullest(batches, 1) == batches  # already enough
