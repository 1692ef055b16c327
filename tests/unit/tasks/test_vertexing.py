"""VertexingTask: pair head, pair targets, loss masking and vertex assignment."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import nn

from halite.nn.layers.dense import DenseConfig
from halite.tasks import VertexingTask
from halite.tasks.vertexing import NO_PAIR_LOGIT, vertex_assignment


def union_find(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Reference: textbook union-find, then indices in order of first appearance."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        parent[find(a)] = find(b)
    seen: dict[int, int] = {}
    return [seen.setdefault(find(i), len(seen)) for i in range(n)]


def make_task(width: int = 6, context: int = 3, hidden: list[int] | None = None) -> VertexingTask:
    task = VertexingTask(
        "vtx", "tracks", "ftagTruthVertexIndex", dense_config=DenseConfig(hidden_layers=hidden or [8])
    )
    task.build(width, context)
    return task


def test_assignment_on_hand_made_pair_scores() -> None:
    # 5 tracks + 1 padding slot: {0, 2} by one pair, {1, 3, 4} by a chain 1-4, 4-3 (scores in one direction only)
    logits = torch.full((1, 6, 6), -5.0)
    logits[0, 0, 2] = 3.0
    logits[0, 2, 0] = 2.0
    logits[0, 1, 4] = 4.0
    logits[0, 4, 1] = 1.0
    logits[0, 3, 4] = 2.0
    logits[0, 4, 3] = 2.0
    logits[0, 0, 5] = logits[0, 5, 0] = 9.0  # a padded track never joins
    logits[0, 0, 1] = 0.5  # below threshold after symmetrising: sigmoid avg(0.5, -5) < 0.5
    pad = torch.tensor([[False] * 5 + [True]])
    task = make_task()
    vi = task.predictions(logits, "m", pad_mask=pad)["VertexIndex"]  # salt: no model prefix
    assert vi.dtype == torch.int64
    assert vi.tolist() == [[0, 1, 0, 1, 1, -1]]


def test_assignment_matches_union_find_on_random_graphs() -> None:
    g = torch.Generator().manual_seed(3)
    b, n = 64, 12
    same = torch.rand(b, n, n, generator=g) > 0.93
    lengths = torch.randint(0, n + 1, (b,), generator=g)
    pad = torch.arange(n) >= lengths.unsqueeze(1)
    vi = vertex_assignment(same, pad)
    for k in range(b):
        m = int(lengths[k])
        pairs = [(i, j) for i in range(m) for j in range(m) if i != j and bool(same[k, i, j])]
        assert vi[k, :m].tolist() == union_find(m, pairs)
        assert (vi[k, m:] == -1).all()


def test_long_chain_converges() -> None:
    n = 40
    same = torch.zeros(1, n, n, dtype=torch.bool)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    for a, c in itertools.pairwise(order.tolist()):
        same[0, a, c] = True
    vi = vertex_assignment(same, torch.zeros(1, n, dtype=torch.bool))
    assert (vi == 0).all()


def test_pair_head_equals_dense_on_concatenated_pairs() -> None:
    task = make_task(hidden=[8, 4])
    x, ctx = torch.randn(2, 4, 6), torch.randn(2, 3)
    pad = torch.tensor([[False, False, False, True], [False, False, True, True]])
    out = task(x, ctx, pad)
    assert out.shape == (2, 4, 4)
    assert task.net is not None
    for b in range(2):
        for i in range(4):
            for j in range(4):
                if pad[b, i] or pad[b, j] or i == j:
                    assert out[b, i, j] == NO_PAIR_LOGIT
                else:
                    pair = torch.cat([x[b, i], x[b, j]]).unsqueeze(0)
                    ref = task.net(pair, ctx[b : b + 1])[0, 0]
                    torch.testing.assert_close(out[b, i, j], ref)


def test_loss_targets_and_masking() -> None:
    task = make_task()
    vertex = torch.tensor([[0, 0, 1, -1, 1, 0]])  # slot 5 is padding (label garbage)
    pad = torch.tensor([[False, False, False, False, False, True]])
    out = torch.randn(1, 6, 6)
    loss = task.loss(out, {"tracks": {"ftagTruthVertexIndex": vertex}}, pad)
    pairs, targets = [], []
    for i in range(5):
        for j in range(5):
            if i != j:
                pairs.append(out[0, i, j])
                targets.append(float(vertex[0, i] == vertex[0, j] and vertex[0, i] >= 0))
    expected = nn.functional.binary_cross_entropy_with_logits(torch.stack(pairs), torch.tensor(targets))
    torch.testing.assert_close(loss, expected)
    # the -1 track (pileup / fake) pairs with nothing, even another -1 track
    target, mask = task.pair_targets(
        {"tracks": {"ftagTruthVertexIndex": torch.tensor([[-1, -1]])}}, pad[:, :2]
    )
    assert target.sum() == 0 and mask.sum() == 2


def test_no_pairs_gives_zero_loss_and_grad() -> None:
    task = make_task()
    x = torch.randn(2, 3, 6, requires_grad=True)
    pad = torch.tensor([[False, True, True], [True, True, True]])
    out = task(x, torch.randn(2, 3), pad)
    loss = task.loss(out, {"tracks": {"ftagTruthVertexIndex": torch.zeros(2, 3, dtype=torch.long)}}, pad)
    assert loss == 0
    loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_errors() -> None:
    with pytest.raises(ValueError, match="threshold must be a probability"):
        VertexingTask("v", "tracks", "vi", threshold=1.5)
    with pytest.raises(ValueError, match="reduction='none'"):
        VertexingTask("v", "tracks", "vi", loss=nn.BCEWithLogitsLoss())
    with pytest.raises(ValueError, match=r"vertexing needs constituents \(B, N, D\)"):
        make_task()(torch.randn(2, 6), torch.randn(2, 3))


@pytest.mark.parametrize(
    ("origin", "weights_sum"),
    [
        # o = [1 (from B), -1 (fake), 0]: the same-vertex pair (0, 1) weighs 1 + (1 & -1) = 2
        ([3, 1, 0], 2 * 2 + 4 * 1),
        # two fakes: 1 + (-1 & -1) = 0, the pair does not count
        ([1, 1, 0], 2 * 0 + 4 * 1),
        # two heavy-flavour constituents: 1 + (1 & 1) = 2; with a light one 1 + (1 & 0) = 1
        ([5, 4, 2], 2 * 2 + 4 * 1),
    ],
)
def test_salt_loss_weighting_by_origin_hand_computed(origin: list[int], weights_sum: int) -> None:
    """salt's vertexing loss: sum_pairs (1 + (o_i & o_j)) BCE / #same-vertex pairs (here 2)."""
    task = VertexingTask("vtx", "tracks", "ftagTruthVertexIndex", loss_weighting="salt")
    task.build(4, 0)
    assert [s.name for s in task.required_labels()] == ["ftagTruthVertexIndex", "ftagTruthOriginLabel"]
    logits = torch.zeros(1, 3, 3)  # every pair loss is ln 2
    labels = {
        "tracks": {
            "ftagTruthVertexIndex": torch.tensor([[0, 0, 1]]),
            "ftagTruthOriginLabel": torch.tensor([origin]),
        }
    }
    pad = torch.zeros(1, 3, dtype=torch.bool)
    loss = task.loss(logits, labels, pad)
    torch.testing.assert_close(loss, torch.tensor(weights_sum * math.log(2) / 2))
    mean = VertexingTask("vtx", "tracks", "ftagTruthVertexIndex")
    mean.build(4, 0)
    torch.testing.assert_close(mean.loss(logits, labels, pad), torch.tensor(math.log(2)))


def test_salt_loss_weighting_needs_an_origin_label() -> None:
    with pytest.raises(ValueError, match="Set origin_label"):
        VertexingTask("vtx", "tracks", "vertex", loss_weighting="salt")
    task = VertexingTask("vtx", "tracks", "vertex", loss_weighting="salt", origin_label="origin")
    assert task.required_labels()[1].name == "origin"
    with pytest.raises(ValueError, match="'mean' or 'salt'"):
        VertexingTask("vtx", "tracks", "vertex", loss_weighting="sum")  # type: ignore[arg-type]
