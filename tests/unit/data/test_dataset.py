"""Reading salt-format files: input maps, truncation, label maps, trimming, sharding, bad input."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from halite.data import dataset as dataset_mod
from halite.data.dataset import JetDataset
from halite.data.readers import expand_files
from halite.data.specs import InputSpec, LabelSpec

TRACK_VARS = ("d0", "IP3D_signed_d0_significance", "numberOfPixelHits")


def specs(
    tracks_ds: str = "tracks", max_length: int | None = None, labels: tuple[LabelSpec, ...] = ()
) -> list[InputSpec]:
    return [
        InputSpec("jets", "jets", ("pt_btagJes", "eta_btagJes"), is_global=True, labels=labels),
        InputSpec("tracks", tracks_ds, TRACK_VARS, max_length=max_length),
    ]


def all_batches(ds: JetDataset, num_workers: int = 0) -> list:
    return list(DataLoader(ds, batch_size=None, num_workers=num_workers))


def test_batches_match_file_in_order(tiny_data: dict[str, Path]) -> None:
    ds = JetDataset([tiny_data["test"]], specs(), batch_size=64)
    batches = all_batches(ds)
    assert len(batches) == len(ds) == -(-400 // 64)
    with h5py.File(tiny_data["test"]) as f:
        jets, tracks = f["jets"][:], f["tracks"][:]
    pt = torch.cat([b.inputs["jets"][:, 0] for b in batches]).numpy()
    np.testing.assert_array_equal(pt, jets["pt_btagJes"])
    b0 = batches[0]
    n = b0.inputs["tracks"].shape[1]
    assert n == tracks["valid"][:64].sum(1).max()  # trimmed to the longest set
    np.testing.assert_array_equal(~b0.pad_masks["tracks"].numpy(), tracks["valid"][:64, :n])
    np.testing.assert_allclose(b0.inputs["tracks"][..., 2].numpy(), tracks["numberOfPixelHits"][:64, :n])
    assert b0.inputs["tracks"].dtype == torch.float32


def test_input_map_truncation_and_label_map(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.h5"
    with h5py.File(tiny_data["test"]) as f, h5py.File(renamed, "w") as g:
        g.create_dataset("jets", data=f["jets"][:])
        g.create_dataset("my_tracks", data=f["tracks"][:])
        truth = f["jets"]["flavour_label"][:]
    label = LabelSpec("HadronConeExclTruthLabelID", "class", {5: 0, 4: 1, 0: 2}, num_classes=3)
    ds = JetDataset([renamed], specs("my_tracks", max_length=5, labels=(label,)), batch_size=100)
    batches = all_batches(ds)
    assert max(b.inputs["tracks"].shape[1] for b in batches) <= 5
    mapped = torch.cat([b.labels["jets"]["HadronConeExclTruthLabelID"] for b in batches]).numpy()
    np.testing.assert_array_equal(mapped, truth)


def test_bucketing_trims_padding_and_covers_all_jets(tiny_data: dict[str, Path]) -> None:
    plain = JetDataset([tiny_data["train"]], specs(), batch_size=50, shuffle=True, bucket=False)
    bucketed = JetDataset([tiny_data["train"]], specs(), batch_size=50, shuffle=True, bucket=True)
    slots_plain = sum(b.pad_masks["tracks"].numel() for b in all_batches(plain))
    b_batches = all_batches(bucketed)
    slots_bucket = sum(b.pad_masks["tracks"].numel() for b in b_batches)
    assert slots_bucket < 0.8 * slots_plain
    pts = np.sort(torch.cat([b.inputs["jets"][:, 0] for b in b_batches]).numpy())
    with h5py.File(tiny_data["train"]) as f:
        np.testing.assert_array_equal(pts, np.sort(f["jets"]["pt_btagJes"][:]))


def test_epochs_reshuffle(tiny_data: dict[str, Path]) -> None:
    ds = JetDataset([tiny_data["train"]], specs(), batch_size=50, shuffle=True)
    first = all_batches(ds)[0].inputs["jets"]
    ds.set_epoch(1)
    assert not torch.equal(first, all_batches(ds)[0].inputs["jets"])


@pytest.mark.parametrize("num_workers", [0, 2])
def test_sharding_workers_and_ranks_every_jet_once(
    tiny_data: dict[str, Path], monkeypatch: pytest.MonkeyPatch, num_workers: int
) -> None:
    files = [tiny_data["train"], tiny_data["val"]]  # two files: chunks never cross files
    seen = []
    for rank in range(3):
        monkeypatch.setattr(dataset_mod, "dist_info", lambda r=rank: (r, 3))
        ds = JetDataset(files, specs(), batch_size=40, shuffle=True, chunk_batches=2)
        batches = all_batches(ds, num_workers)
        assert len(batches) == len(ds)
        seen.append(torch.cat([b.inputs["jets"][:, 0] for b in batches]).numpy())
    with h5py.File(files[0]) as f, h5py.File(files[1]) as g:
        expected = np.concatenate([f["jets"]["pt_btagJes"][:], g["jets"]["pt_btagJes"][:]])
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.sort(expected))


def test_zero_track_jets_are_kept(tmp_path: Path, tiny_data: dict[str, Path]) -> None:
    path = tmp_path / "empty.h5"
    with h5py.File(tiny_data["test"]) as f, h5py.File(path, "w") as g:
        tracks = f["tracks"][:20]
        tracks["valid"] = False
        g.create_dataset("jets", data=f["jets"][:20])
        g.create_dataset("tracks", data=tracks)
    (batch,) = all_batches(JetDataset([path], specs(), batch_size=20))
    assert batch.inputs["tracks"].shape == (20, 1, 3)
    assert batch.pad_masks["tracks"].all()


# --- bad input -------------------------------------------------------------------------------


def test_missing_file_and_empty_glob(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Input file not found: .*nope.h5"):
        expand_files(str(tmp_path / "nope.h5"))
    with pytest.raises(FileNotFoundError, match="No files match the glob"):
        expand_files(str(tmp_path / "*.h5"))


def test_not_hdf5(tmp_path: Path) -> None:
    bad = tmp_path / "bad.h5"
    bad.write_text("not hdf5")
    with pytest.raises(OSError, match=r"Cannot open .*bad.h5 as HDF5"):
        JetDataset([bad], specs(), batch_size=10)


def test_missing_dataset_and_variable(tiny_data: dict[str, Path]) -> None:
    with pytest.raises(KeyError, match="dataset 'trk' .*stream 'tracks'.* not found"):
        JetDataset([tiny_data["test"]], specs("trk"), batch_size=10)
    bad = [InputSpec("jets", "jets", ("pt_btagJes", "nonexistent_var"), is_global=True)]
    with pytest.raises(KeyError, match="variable 'nonexistent_var' not found in dataset 'jets'"):
        JetDataset([tiny_data["test"]], bad, batch_size=10)


def test_non_finite_inputs(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "nan.h5"
    with h5py.File(tiny_data["test"]) as f, h5py.File(path, "w") as g:
        jets = f["jets"][:50]
        jets["eta_btagJes"][3] = np.nan
        g.create_dataset("jets", data=jets)
        g.create_dataset("tracks", data=f["tracks"][:50])
    with pytest.raises(ValueError, match=r"nan.h5: non-finite .* stream 'jets': \{'eta_btagJes': 1\}"):
        all_batches(JetDataset([path], specs(), batch_size=50))
    (batch,) = all_batches(JetDataset([path], specs(), batch_size=50, non_finite="zero"))
    assert batch.inputs["jets"][3, 1] == 0


def test_label_outside_label_map(tiny_data: dict[str, Path]) -> None:
    label = LabelSpec("HadronConeExclTruthLabelID", "class", {5: 0, 0: 1}, num_classes=2)
    ds = JetDataset([tiny_data["test"]], specs(labels=(label,)), batch_size=400)
    with pytest.raises(
        ValueError, match=r"label 'HadronConeExclTruthLabelID' of stream 'jets' has values \[4\]"
    ):
        all_batches(ds)


def test_label_outside_classes(tiny_data: dict[str, Path]) -> None:
    label = LabelSpec("flavour_label", "class", None, num_classes=2)
    ds = JetDataset([tiny_data["test"]], specs(labels=(label,)), batch_size=400)
    with pytest.raises(ValueError, match=r"label 'flavour_label' .* values \[2\] outside the classes 0..1"):
        all_batches(ds)
