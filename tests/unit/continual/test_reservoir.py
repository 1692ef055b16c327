"""Reservoir buffer: each seen sample is kept with probability buffer_size / n_seen; logits travel with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from halite.continual.algorithms.reservoir import ReservoirBuffer, reservoir_slots
from halite.continual.data import Samples


def _stream(start: int, n: int) -> Samples:
    """Samples whose input, label and logit are their position in the stream."""
    idx = torch.arange(start, start + n)
    return Samples({"x": idx[:, None].float()}, {}, idx, torch.zeros(n, dtype=torch.int64))


def test_fills_first_then_replaces() -> None:
    torch.manual_seed(0)
    assert reservoir_slots(0, 4, 6) == [0, 1, 2, 3]
    slots = reservoir_slots(6, 200, 6)
    assert all(-1 <= s < 6 for s in slots)
    assert -1 in slots and any(s >= 0 for s in slots)


def test_each_sample_kept_with_probability_size_over_seen() -> None:
    torch.manual_seed(0)
    size, stream, batch, trials = 10, 50, 7, 1000
    kept = np.zeros(stream)
    for _ in range(trials):
        buf = ReservoirBuffer(size)
        for start in range(0, stream, batch):
            part = _stream(start, min(batch, stream - start))
            buf.add(part, part.inputs["x"], torch.ones(len(part), dtype=torch.int64))
        assert buf.n_seen == stream and len(buf) == size
        assert buf.samples is not None and buf.logits is not None
        ids = buf.samples.y.numpy()
        assert len(set(ids.tolist())) == size  # no duplicates
        np.testing.assert_array_equal(buf.logits[:, 0].numpy(), ids)  # each sample keeps its own logits
        np.testing.assert_array_equal(buf.samples.inputs["x"][:, 0].numpy(), ids)
        kept[ids] += 1
    p = kept / trials
    sd = np.sqrt(0.2 * 0.8 / trials)  # binomial spread of each frequency around 10 / 50
    assert np.abs(p - size / stream).max() < 5 * sd
    # no trend along the stream (a FIFO or keep-the-first buffer fails this)
    assert abs(p[:25].mean() - p[25:].mean()) < 3 * sd


def test_logit_widths_grow_with_zero_padding() -> None:
    buf = ReservoirBuffer(10)
    a, b = _stream(0, 2), _stream(2, 3)
    buf.add(a, torch.ones(2, 2), torch.full((2,), 2))
    buf.add(b, torch.full((3, 5), 2.0), torch.full((3,), 5))
    assert buf.logits is not None and buf.widths is not None
    assert buf.logits.shape == (5, 5)
    assert buf.widths.tolist() == [2, 2, 5, 5, 5]
    torch.testing.assert_close(buf.logits[:2], torch.tensor([[1.0, 1, 0, 0, 0]] * 2))
    torch.testing.assert_close(buf.logits[2:], torch.full((3, 5), 2.0))
    samples, logits, widths = buf.sample(3)
    assert len(samples) == 3 and logits.shape == (3, 5) and widths.shape == (3,)
    first = samples.y < 2  # the rows drawn keep their own logits and widths
    torch.testing.assert_close(logits[first], torch.tensor([[1.0, 1, 0, 0, 0]]).expand(int(first.sum()), 5))
    torch.testing.assert_close(logits[~first], torch.full((int((~first).sum()), 5), 2.0))
    assert widths.tolist() == [2 if f else 5 for f in first.tolist()]
    assert len(buf.sample(50)[0]) == 5  # at most what it holds, without repetition


def test_in_place_replacement_equals_the_copying_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def fill(buf: ReservoirBuffer) -> None:
        torch.manual_seed(3)
        for start in range(0, 60, 20):  # batches larger than the buffer: slots are drawn twice
            part = Samples(
                {"x": torch.arange(start, start + 20)[:, None].float(), "c": torch.randn(20, 2, 3)},
                {"c": torch.rand(20, 2) > 0.5},
                torch.arange(start, start + 20),
                torch.full((20,), start // 20, dtype=torch.int64),
            )
            width = [3, 2, 3][start // 20]  # narrower logits are padded into the stored width
            buf.add(part, torch.randn(20, width), torch.full((20,), width))

    fast, slow = ReservoirBuffer(8), ReservoirBuffer(8)
    used: list[bool] = []
    original = ReservoirBuffer._replace_in_place

    def spy(self: ReservoirBuffer, *args: object) -> bool:
        used.append(original(self, *args))  # type: ignore[arg-type]
        return used[-1]

    monkeypatch.setattr(ReservoirBuffer, "_replace_in_place", spy)
    fill(fast)
    assert used == [False, True, True]  # the filling batch copies, the next two write in place
    monkeypatch.setattr(ReservoirBuffer, "_replace_in_place", lambda *args: False)
    fill(slow)
    a, b = fast.state_dict(), slow.state_dict()
    assert a["n_seen"] == b["n_seen"] == 60
    for key in ("y", "task_ids", "logits", "widths"):
        torch.testing.assert_close(a[key], b[key])
    for key in ("inputs", "pad_masks"):
        for name in a[key]:
            torch.testing.assert_close(a[key][name], b[key][name])


def test_slot_drawn_twice_keeps_the_later_sample() -> None:
    buf = ReservoirBuffer(3)
    first = _stream(0, 3)
    buf.add(first, first.inputs["x"], torch.ones(3, dtype=torch.int64))
    new = _stream(10, 3)
    assert buf._replace_in_place(new, new.inputs["x"], torch.ones(3, dtype=torch.int64), [1, -1, 1])
    assert buf.samples is not None and buf.logits is not None
    assert buf.samples.y.tolist() == [0, 12, 2]
    assert buf.logits[:, 0].tolist() == [0.0, 12.0, 2.0]


def test_state_dict_round_trip_and_errors() -> None:
    torch.manual_seed(1)
    buf = ReservoirBuffer(4)
    assert buf.state_dict() == {"n_seen": 0}
    part = _stream(0, 9)
    buf.add(part, part.inputs["x"], torch.ones(9, dtype=torch.int64))
    other = ReservoirBuffer(4)
    other.load_state_dict(buf.state_dict())
    assert other.n_seen == 9 and other.samples is not None and buf.samples is not None
    assert torch.equal(other.samples.y, buf.samples.y)
    with pytest.raises(ValueError, match="do not fit a buffer of 2"):
        ReservoirBuffer(2).load_state_dict(buf.state_dict())
    with pytest.raises(ValueError, match="expects 'n_seen'"):
        ReservoirBuffer(4).load_state_dict({"y": part.y})
    with pytest.raises(ValueError, match="buffer_size must be an integer >= 1"):
        ReservoirBuffer(0)
    with pytest.raises(RuntimeError, match="the buffer is empty"):
        ReservoirBuffer(3).sample(1)
    with pytest.raises(ValueError, match=r"need logits \(n, W\)"):
        ReservoirBuffer(3).add(part, torch.ones(9), torch.ones(9))
