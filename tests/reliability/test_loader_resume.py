"""Data position: a loader resumed after k batches yields exactly the rest of the uninterrupted epoch,
with 0 and 2 loader workers, without reading the skipped chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from halite.data.dataset import JetDataset
from halite.data.loader import ResumableLoader
from halite.data.parameters import ParameterConfig
from halite.data.specs import InputSpec


def dataset(path: Path, num_jets: int = 400) -> JetDataset:
    specs = [
        InputSpec("jets", "jets", ("pt_btagJes", "eta_btagJes"), is_global=True),
        InputSpec("tracks", "tracks", ("d0", "z0SinTheta"), max_length=40),
    ]
    # 4 batches per chunk so skips cross chunk boundaries; shuffled and bucketed like training
    return JetDataset(
        [path], specs, batch_size=25, num_jets=num_jets, shuffle=True, bucket=True, chunk_batches=4
    )


def key(batch: object) -> tuple:
    return tuple(batch.inputs["jets"][:, 0].tolist())  # type: ignore[attr-defined]


@pytest.mark.parametrize("workers", [0, 3])
@pytest.mark.parametrize(("num_jets", "skip"), [(400, 0), (400, 9), (350, 11)])
def test_resumed_loader_continues_the_epoch(
    tiny_data: dict[str, Path], workers: int, num_jets: int, skip: int
) -> None:
    """350 jets: chunks of 4, 4, 4 and 2 batches, so workers run out at different times."""
    epoch = 2
    full_ds = dataset(tiny_data["train"], num_jets)
    full_ds.set_epoch(epoch)
    full = [key(b) for b in ResumableLoader(full_ds, batch_size=None, num_workers=workers)]
    n = -(-num_jets // 25)
    assert len(full) == len(full_ds) == n

    ds = dataset(tiny_data["train"], num_jets)
    loader = ResumableLoader(ds, batch_size=None, num_workers=workers)
    loader.load_state_dict({"epoch": epoch, "batches": skip, "num_workers": workers})
    it = iter(loader)
    rest = [key(b) for b in it]
    assert rest == full[skip:]
    assert loader.state_dict() == {"epoch": epoch, "batches": n, "num_workers": workers}


def test_state_counts_delivered_batches(tiny_data: dict[str, Path]) -> None:
    loader = ResumableLoader(dataset(tiny_data["train"]), batch_size=None)
    it = iter(loader)
    for _ in range(5):
        next(it)
    assert loader.state_dict() == {"epoch": 0, "batches": 5, "num_workers": 0}
    loader.dataset.set_epoch(1)  # type: ignore[attr-defined]
    assert loader.state_dict()["batches"] == 0


def test_resume_beyond_epoch_is_refused(tiny_data: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match=r"Cannot resume after 99 batches: an epoch of this dataset has 16"):
        dataset(tiny_data["train"]).resume_at(0, 99)


def test_resume_with_parameter_sampling(tiny_data: dict[str, Path]) -> None:
    """Per-batch parameter draws (parameterised networks) continue exactly after a resume too."""

    def make() -> JetDataset:
        specs = [
            InputSpec("jets", "jets", ("pt_btagJes",), is_global=True),
            InputSpec("PARAMETERS", "jets", ("eta_btagJes",), is_global=True),
            InputSpec("tracks", "tracks", ("d0",), max_length=40),
        ]
        params = [ParameterConfig(train=[20.0, 40.0, 60.0], test=40.0)]
        return JetDataset(
            [tiny_data["train"]], specs, 25, num_jets=350, shuffle=True, chunk_batches=4, parameters=params
        )

    def keys(loader: ResumableLoader) -> list[tuple]:
        return [(key(b), tuple(b.inputs["PARAMETERS"][:, 0].tolist())) for b in loader]

    full = keys(ResumableLoader(make(), batch_size=None))
    assert len({v for _, p in full for v in p}) == 3  # values drawn per batch
    loader = ResumableLoader(make(), batch_size=None)
    loader.load_state_dict({"epoch": 0, "batches": 6, "num_workers": 0})
    assert keys(loader) == full[6:]
