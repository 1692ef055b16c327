"""Storage layouts (chunked, compressed) and the loader's batches against a plain h5py + numpy reading."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from halite.data.convert import relayout
from halite.data.dataset import JetDataset
from halite.data.layout import dataset_options
from halite.data.readers import H5Reader
from halite.data.specs import InputSpec, LabelSpec
from halite.data.synthetic import write_file
from halite.errors import DataError

JET_VARS = ("pt_btagJes", "eta_btagJes", "n_tracks")
# float inputs, the small-integer hit counts (uint8) and leptonID (int8), out of file order
TRACK_VARS = ("numberOfPixelHits", "d0", "leptonID", "IP3D_signed_d0_significance", "numberOfSCTHits", "dphi")
SPECS = [
    InputSpec(
        "jets", "jets", JET_VARS, is_global=True,
        labels=(LabelSpec("flavour_label", "class", num_classes=3), LabelSpec("pt_truth", "value")),
    ),
    InputSpec(
        "tracks", "tracks", TRACK_VARS, max_length=30,
        labels=(
            LabelSpec("ftagTruthOriginLabel", "class", num_classes=8),
            LabelSpec("ptfrac", "value"),
            LabelSpec("d0", "value"),  # a label that is also an input
        ),
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One synthetic file, plain and in chunked layouts whose chunks do not align with the loader's blocks."""
    out = tmp_path_factory.mktemp("layouts")
    paths = {"plain": write_file(out / "plain.h5", 1300, seed=3)}
    for compression, chunk in (("lz4", 300), ("zstd", 128), ("gzip", 2000), ("none", 77)):
        paths[compression] = out / f"{compression}.h5"
        relayout([paths["plain"]], paths[compression], compression, chunk)
    return paths


def batches(path: Path, shuffle: bool) -> list:
    ds = JetDataset([path], SPECS, batch_size=50, shuffle=shuffle, bucket=shuffle, chunk_batches=9)
    ds.set_epoch(1)
    return list(ds)


def same(a: object, b: object) -> None:
    for x, y in ((a.inputs, b.inputs), (a.pad_masks, b.pad_masks)):  # type: ignore[attr-defined]
        assert x.keys() == y.keys()
        for k in x:
            assert x[k].dtype == y[k].dtype and torch.equal(x[k], y[k]), k
    for s in a.labels:  # type: ignore[attr-defined]
        for k, v in a.labels[s].items():  # type: ignore[attr-defined]
            assert torch.equal(v, b.labels[s][k]), (s, k)  # type: ignore[attr-defined]


def test_relayout_writes_the_layout_bit_for_bit(layouts: dict[str, Path]) -> None:
    with h5py.File(layouts["plain"]) as plain, h5py.File(layouts["zstd"]) as zstd:
        assert plain["tracks"].chunks is None
        assert zstd["tracks"].chunks == (128, 40) and "32015" in zstd["tracks"]._filters  # Zstandard
        assert (
            zstd["tracks"].attrs["ftagTruthOriginLabel"].tolist()
            == plain["tracks"].attrs["ftagTruthOriginLabel"].tolist()
        )
        for name in ("jets", "tracks"):
            assert zstd[name][:].tobytes() == plain[name][:].tobytes()
    with h5py.File(layouts["lz4"]) as f:
        assert f["jets"].chunks == (300,) and "32004" in f["jets"]._filters  # LZ4


@pytest.mark.parametrize("shuffle", [False, True])
def test_compressed_copies_give_the_batches_of_the_plain_file(
    layouts: dict[str, Path], shuffle: bool
) -> None:
    want = batches(layouts["plain"], shuffle)
    for name in ("lz4", "zstd", "gzip", "none"):
        got = batches(layouts[name], shuffle)
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            same(a, b)


def test_chunked_reads_of_unaligned_ranges(layouts: dict[str, Path]) -> None:
    plain = H5Reader(layouts["plain"], SPECS, packed=True)
    chunked = H5Reader(layouts["lz4"], SPECS, packed=True)
    try:
        for start, stop in ((0, 1300), (1, 299), (299, 301), (450, 1300), (1299, 1300)):
            a, b = plain.read(start, stop), chunked.read(start, stop)
            for s in ("jets", "tracks"):
                np.testing.assert_array_equal(a.values[s], b.values[s])
            np.testing.assert_array_equal(a.row_table("tracks"), b.row_table("tracks"))
            np.testing.assert_array_equal(a.valid["tracks"], b.valid["tracks"])
    finally:
        plain.close()
        chunked.close()


def test_loader_batches_equal_a_straightforward_reading(layouts: dict[str, Path]) -> None:
    """Bucketed, trimmed training batches against the same jets read with h5py and numpy alone."""
    ds = JetDataset([layouts["plain"]], SPECS, batch_size=50, shuffle=True, bucket=True, chunk_batches=9)
    taken: list[np.ndarray] = []
    make_batch = ds.make_batch

    def spy(block, idx, replaced=None):  # type: ignore[no-untyped-def]
        taken.append(block.start + idx)
        return make_batch(block, idx, replaced)

    ds.make_batch = spy  # type: ignore[method-assign]
    got = list(ds)
    with h5py.File(layouts["plain"]) as f:
        jets, tracks = f["jets"][:], f["tracks"][:, :30]
    assert np.array_equal(np.sort(np.concatenate(taken)), np.arange(1300))  # every jet once
    trimmed = False
    for batch, j in zip(got, taken, strict=True):
        valid = tracks["valid"][j]
        n = max(1, int(valid.sum(axis=1).max()))
        trimmed |= n < 30
        valid, trk = valid[:, :n], tracks[j, :n]
        want_tracks = np.stack([np.where(valid, trk[v], 0).astype(np.float32) for v in TRACK_VARS], axis=-1)
        want_jets = np.stack([jets[v][j].astype(np.float32) for v in JET_VARS], axis=-1)
        assert torch.equal(batch.inputs["tracks"], torch.from_numpy(want_tracks))
        assert batch.inputs["tracks"].is_contiguous() and batch.inputs["jets"].is_contiguous()
        assert torch.equal(batch.inputs["jets"], torch.from_numpy(want_jets))
        assert torch.equal(batch.pad_masks["tracks"], torch.from_numpy(~valid))
        labels = batch.labels
        assert torch.equal(
            labels["jets"]["flavour_label"], torch.from_numpy(jets["flavour_label"][j].astype(np.int64))
        )
        assert torch.equal(labels["jets"]["pt_truth"], torch.from_numpy(jets["pt_truth"][j]))
        origin = np.where(valid, trk["ftagTruthOriginLabel"], -1).astype(np.int64)
        assert torch.equal(labels["tracks"]["ftagTruthOriginLabel"], torch.from_numpy(origin))
        for name in ("ptfrac", "d0"):
            want = np.where(valid, trk[name], 0).astype(np.float32)
            assert torch.equal(labels["tracks"][name], torch.from_numpy(want))
    assert trimmed  # bucketing made some batches shorter than the 30 slots


def test_bad_layouts_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"Unknown compression 'lz5'; choose one of none, lz4, zstd, gzip"):
        write_file(tmp_path / "x.h5", 10, seed=0, compression="lz5")
    with pytest.raises(DataError, match=r"chunk_jets must be >= 1, got 0 \(--chunk-jets\)"):
        dataset_options("lz4", 0)
    assert dataset_options() == {}  # contiguous by default
    assert dataset_options("none", 64, (40,))["chunks"] == (64, 40)
    assert not (tmp_path / "x.h5").exists()


def test_prep_reads_compressed_files(layouts: dict[str, Path]) -> None:
    from halite.data.prep import compute_norm_dict

    variables = {"jets": list(JET_VARS), "tracks": list(TRACK_VARS)}
    assert compute_norm_dict(layouts["zstd"], variables) == compute_norm_dict(layouts["plain"], variables)
