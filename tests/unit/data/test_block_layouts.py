"""The reader's packed blocks (valid constituents only) give the same batches as padded blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from halite.data.block_reader import Block
from halite.data.dataset import JetDataset
from halite.data.readers import H5Reader
from halite.data.specs import InputSpec, LabelSpec


def test_packed_and_padded_blocks_give_identical_batches(tiny_data: dict[str, Path]) -> None:
    specs = [
        InputSpec("jets", "jets", ("pt_btagJes",), is_global=True, labels=(LabelSpec("flavour_label", "class"),)),
        InputSpec(
            "tracks", "tracks", ("d0", "numberOfPixelHits"), max_length=30,
            labels=(LabelSpec("ftagTruthOriginLabel", "class", num_classes=8), LabelSpec("ptfrac", "value")),
        ),
    ]  # fmt: skip
    ds = JetDataset([tiny_data["train"]], specs, batch_size=64, shuffle=True, bucket=True)
    reader = H5Reader(tiny_data["train"], specs, packed=True)
    packed = reader.read(100, 400)
    reader.close()
    reader = H5Reader(tiny_data["train"], specs)
    from_reader = reader.read(100, 400)
    reader.close()
    rows, valid = packed.row_table("tracks"), packed.valid["tracks"]
    # only valid constituents are kept, then one row of zeros that the padding slots index;
    # the inputs in values, each label in a column of its own
    assert packed.values["tracks"].shape == (int(valid.sum()) + 1, 2)
    columns = packed.label_columns["tracks"]
    assert list(columns) == ["ftagTruthOriginLabel", "ptfrac"]
    assert all(c.shape == (int(valid.sum()) + 1,) and c.flags.c_contiguous for c in columns.values())
    combined = np.column_stack([packed.values["tracks"], *columns.values()])
    assert not combined[-1].any() and (rows[~valid] == valid.sum()).all()
    assert packed.values["tracks"].flags.c_contiguous
    padded_tracks = np.zeros((*valid.shape, 4), dtype=np.float32)
    padded_tracks[valid] = combined[rows[valid]]
    jets = np.column_stack([packed.values["jets"], *packed.label_columns["jets"].values()])
    padded = Block(packed.path, packed.start, {"jets": jets, "tracks": padded_tracks}, packed.valid)
    assert not from_reader.rows  # the default reader gives padded values, as built here
    np.testing.assert_array_equal(from_reader.values["tracks"], padded_tracks)
    for idx in ds.batch_order(packed, np.random.default_rng(0)):
        idx = np.sort(idx)
        a, b = ds.make_batch(packed, idx), ds.make_batch(padded, idx)
        for stream in ("jets", "tracks"):
            assert torch.equal(a.inputs[stream], b.inputs[stream])
            assert a.inputs[stream].is_contiguous()
            for name, lab in a.labels[stream].items():
                assert torch.equal(lab, b.labels[stream][name])
        assert torch.equal(a.pad_masks["tracks"], b.pad_masks["tracks"])
        assert torch.count_nonzero(a.inputs["tracks"][a.pad_masks["tracks"]]) == 0
        assert (a.labels["tracks"]["ftagTruthOriginLabel"][a.pad_masks["tracks"]] == -1).all()


def test_every_jet_is_read_when_a_constituent_stream_comes_first(tiny_data: dict[str, Path]) -> None:
    specs = [
        InputSpec("tracks", "tracks", ("d0",), max_length=20),
        InputSpec("jets", "jets", ("pt_btagJes",), is_global=True),
    ]
    for shuffle in (False, True):
        ds = JetDataset([tiny_data["train"]], specs, batch_size=100, num_jets=700, shuffle=shuffle)
        assert sum(b.batch_size for b in ds) == 700


def test_offsets_give_the_rows_of_the_row_table() -> None:
    """Leading valid slots: a batch's rows from ``offsets`` equal the ``(n, N)`` table's; holes: no offsets."""
    from halite.data.block_reader import Block
    from halite.data.readers import leading_offsets

    rng = np.random.default_rng(0)
    counts = rng.integers(0, 6, size=40)
    valid = np.arange(8) < counts[:, None]
    offsets = leading_offsets(valid)
    assert offsets is not None and offsets[-1] == valid.sum()
    where = np.flatnonzero(valid)
    rows = np.full(valid.shape, len(where), dtype=np.int64)
    rows.reshape(-1)[where] = np.arange(len(where))
    values = {"tracks": np.zeros((len(where) + 1, 2), dtype=np.float32)}
    by_offsets = Block("x.h5", 0, values, {"tracks": valid}, offsets={"tracks": offsets})
    by_rows = Block("x.h5", 0, values, {"tracks": valid}, rows={"tracks": rows})
    np.testing.assert_array_equal(by_offsets.counts("tracks"), counts)
    np.testing.assert_array_equal(by_offsets.row_table("tracks"), rows)
    idx = np.sort(rng.choice(40, 9, replace=False))
    n = int(counts[idx].max())
    np.testing.assert_array_equal(by_offsets.slot_rows("tracks", idx, n), by_rows.slot_rows("tracks", idx, n))
    holes = valid.copy()
    holes[0, :2] = [False, True]
    assert leading_offsets(holes) is None
