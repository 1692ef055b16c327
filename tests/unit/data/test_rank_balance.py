"""DDP sharding: every rank yields the same number of batches and every jet once per epoch."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from halite.data import dataset as dataset_mod
from halite.data.dataset import JetDataset
from tests.unit.data.test_dataset import all_batches, specs


@pytest.mark.parametrize(
    ("world", "num_jets", "shuffle"), [(2, 601, False), (3, 1602, True), (2, 1504, True)]
)
def test_equal_batches_per_rank_every_jet_once(
    tiny_data: dict[str, Path], monkeypatch: pytest.MonkeyPatch, world: int, num_jets: int, shuffle: bool
) -> None:
    files = [tiny_data["train"], tiny_data["val"]]  # 1500 + 400 jets: shares straddle the file boundary
    seen, counts = [], []
    for rank in range(world):
        monkeypatch.setattr(dataset_mod, "dist_info", lambda r=rank: (r, world))
        ds = JetDataset(files, specs(), batch_size=100, num_jets=num_jets, shuffle=shuffle, chunk_batches=3)
        batches = all_batches(ds, num_workers=0)
        counts.append(len(batches))
        assert len(batches) == len(ds)
        assert max(b.batch_size for b in batches) <= 100
        seen.append(torch.cat([b.inputs["jets"][:, 0] for b in batches]).numpy())
    assert len(set(counts)) == 1, counts
    with h5py.File(files[0]) as f, h5py.File(files[1]) as g:
        expected = np.concatenate([f["jets"]["pt_btagJes"][:], g["jets"]["pt_btagJes"][:]])[:num_jets]
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.sort(expected))


def test_too_few_jets_for_ranks(tiny_data: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset_mod, "dist_info", lambda: (0, 3))
    ds = JetDataset([tiny_data["train"], tiny_data["val"]], specs(), batch_size=10, num_jets=1502)
    # rank 2's share (1001:1502) crosses the file boundary at 1500 -> 51 batches; rank 0 has 500 jets
    assert len(ds) == 51
    monkeypatch.setattr(dataset_mod, "dist_info", lambda: (0, 4))
    tiny = JetDataset([tiny_data["train"], tiny_data["val"]], specs(), batch_size=1, num_jets=1501)
    with pytest.raises(ValueError, match="Cannot give each of the 4 ranks"):
        len(tiny)
