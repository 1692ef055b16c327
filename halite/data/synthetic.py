"""Physics-like synthetic jets in ATLAS salt's HDF5 layout.

The generator produces two structured datasets per file, exactly as the
training-dataset-dumper / UPP chain writes them for salt:

``jets``
    shape ``(num_jets,)``: kinematics, truth labels, a regression target
    (``pt_truth``) and per-jet weights.
``tracks``
    shape ``(num_jets, num_tracks)``: valid tracks first, then all-zero padding
    rows with ``valid == False``. Valid tracks are sorted by descending
    ``|IP3D_signed_d0_significance|`` (salt's default ordering).

The toy physics is chosen so that everything a tagger is asked to learn is
learnable from the inputs: b-jets carry 3-5 tracks from a displaced secondary
vertex (origin ``FromB``/``FromBC``, lifetime-like positive signed impact
parameters), c-jets fewer and less displaced tracks (``FromC``), light jets
mostly prompt ``Primary`` tracks with resolution-like, symmetric impact
parameter significances, and every flavour has pileup tracks (large
``z0SinTheta``), fakes (few hits, broad impact parameters) and material
secondaries (``OtherSecondary``, missing innermost hits). The reconstructed jet
``pt`` is the truth ``pt_truth`` smeared by a flavour-dependent response; the
scalar sum of the track ``pt`` is an independent, noisy estimate of
``pt_truth``, so the target can be regressed from jet + track inputs.

Units follow the ATLAS dumps: momenta and energies in MeV, lengths in mm,
``qOverP`` in 1/MeV, angles in rad.

Everything is vectorised with numpy; the same ``seed`` always gives
byte-identical arrays.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from halite.data import synthetic_extras as extras
from halite.data.layout import check_layout, dataset_options
from halite.errors import DataError
from halite.io import atomic_path

__all__ = [
    "FLAVOUR_NAMES",
    "JET_DTYPE",
    "TRACK_DTYPE",
    "TRACK_ORIGIN_NAMES",
    "generate_jets",
    "write_file",
    "write_splits",
]

from halite.data.synthetic_physics import (
    FLAVOUR_NAMES,
    JET_DTYPE,
    TRACK_DTYPE,
    TRACK_ORIGIN_NAMES,
    _chunk_rng,
    _event_offset,
    _generate_chunk,
)


def _check_sizes(num_jets: int, num_tracks: int) -> None:
    if int(num_jets) < 0:
        msg = f"num_jets must be >= 0, got {num_jets}. Pass a non-negative number of jets."
        raise DataError(msg)
    if int(num_tracks) < 1:
        msg = f"num_tracks must be >= 1, got {num_tracks}. Pass the number of track slots per jet (e.g. 40)."
        raise DataError(msg)


def _generate_with_extras(
    seed: int,
    chunk: int,
    num_jets: int,
    num_tracks: int,
    first_event: int,
    electrons: bool = False,
    soft_muons: bool = False,
    parameters: bool = False,
    num_electrons: int = 10,
) -> dict[str, np.ndarray]:
    """One chunk of the default output plus the requested extras (see ``synthetic_extras``)."""
    xrng = extras.extras_rng(seed, chunk)
    masses = extras.sample_masses(xrng, num_jets) if parameters else None
    scale = masses / extras.MASS_REF if masses is not None else None
    data = _generate_chunk(_chunk_rng(seed, chunk), num_jets, num_tracks, first_event, scale)
    if masses is not None:
        data["parameters"] = extras.parameters(masses, data["jets"]["flavour_label"])
    if electrons:
        data["electrons"] = extras.electrons(xrng, data["jets"], num_electrons)
    if soft_muons:
        data["jets"] = extras.add_soft_muons(xrng, data["jets"], extras.jet_dtype(JET_DTYPE, True))
    return data


def generate_jets(
    num_jets: int,
    seed: int,
    num_tracks: int = 40,
    electrons: bool = False,
    soft_muons: bool = False,
    parameters: bool = False,
    num_electrons: int = 10,
) -> dict[str, np.ndarray]:
    """Generate synthetic jets and their tracks in memory.

    Parameters
    ----------
    num_jets
        Number of jets.
    seed
        Random seed; the same seed gives byte-identical arrays.
    num_tracks
        Number of track slots per jet (padding included).
    electrons, soft_muons, parameters, num_electrons
        Opt-in extras (``halite.data.synthetic_extras``).
    compression, chunk_jets
        Storage layout of every dataset (``halite.data.layout``): contiguous by default, or
        chunked (``chunk_jets`` jets per chunk) and compressed with ``lz4``, ``zstd`` or ``gzip``.

    Returns
    -------
    dict[str, np.ndarray]
        ``{"jets": (num_jets,), "tracks": (num_jets, num_tracks)}`` structured
        arrays with dtypes :data:`JET_DTYPE` and :data:`TRACK_DTYPE` (plus the
        extras' datasets). The result equals the first chunk of :func:`write_file`
        with the same seed.
    """
    _check_sizes(num_jets, num_tracks)
    return _generate_with_extras(
        seed,
        0,
        int(num_jets),
        int(num_tracks),
        _event_offset(seed),
        electrons,
        soft_muons,
        parameters,
        num_electrons,
    )


def write_file(
    path: str | os.PathLike[str],
    num_jets: int,
    seed: int,
    num_tracks: int = 40,
    chunk_size: int = 200_000,
    electrons: bool = False,
    soft_muons: bool = False,
    parameters: bool = False,
    num_electrons: int = 10,
    compression: str = "none",
    chunk_jets: int | None = None,
) -> Path:
    """Write a synthetic HDF5 file with ``jets`` and ``tracks`` datasets.

    Jets are generated ``chunk_size`` at a time (chunk ``i`` uses its own
    generator derived from ``(seed, i)``), so memory stays bounded for any
    ``num_jets``. The file appears under ``path`` only once complete.

    Parameters
    ----------
    path
        Output file.
    num_jets
        Number of jets.
    seed
        Random seed.
    num_tracks
        Number of track slots per jet.
    chunk_size
        Jets generated and written per step.
    electrons, soft_muons, parameters, num_electrons
        Opt-in extras (``halite.data.synthetic_extras``).
    compression, chunk_jets
        Storage layout of every dataset (``halite.data.layout``): contiguous by default, or
        chunked (``chunk_jets`` jets per chunk) and compressed with ``lz4``, ``zstd`` or ``gzip``.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    _check_sizes(num_jets, num_tracks)
    check_layout(compression, chunk_jets)
    if int(chunk_size) < 1:
        msg = f"chunk_size must be >= 1, got {chunk_size}."
        raise DataError(msg)
    num_jets, num_tracks, chunk_size = int(num_jets), int(num_tracks), int(chunk_size)
    out = Path(path)
    offset = _event_offset(seed)
    with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
        jet_dtype = extras.jet_dtype(JET_DTYPE, soft_muons)

        def create(name: str, row_shape: tuple[int, ...], dtype: np.dtype) -> h5py.Dataset:
            options = dataset_options(compression, chunk_jets, row_shape)
            return f.create_dataset(name, shape=(num_jets, *row_shape), dtype=dtype, **options)

        jets_ds = create("jets", (), jet_dtype)
        tracks_ds = create("tracks", (num_tracks,), TRACK_DTYPE)
        extra_ds = {}
        if electrons:
            extra_ds["electrons"] = create("electrons", (num_electrons,), extras.ELECTRON_DTYPE)
            extra_ds["electrons"].attrs["ftagTruthOriginLabel"] = TRACK_ORIGIN_NAMES
        if parameters:
            extra_ds["parameters"] = create("parameters", (), extras.PARAMETER_DTYPE)
        jets_ds.attrs["flavour_label"] = FLAVOUR_NAMES
        tracks_ds.attrs["ftagTruthOriginLabel"] = TRACK_ORIGIN_NAMES
        f.attrs["generator"] = "halite.data.synthetic"
        f.attrs["seed"] = int(seed)
        for chunk, start in enumerate(range(0, num_jets, chunk_size)):
            stop = min(start + chunk_size, num_jets)
            data = _generate_with_extras(
                seed,
                chunk,
                stop - start,
                num_tracks,
                offset + start,
                electrons,
                soft_muons,
                parameters,
                num_electrons,
            )
            jets_ds[start:stop] = data["jets"]
            tracks_ds[start:stop] = data["tracks"]
            for name, ds in extra_ds.items():
                ds[start:stop] = data[name]
            del data
    return out


def write_splits(
    out_dir: str | os.PathLike[str],
    num_train: int,
    num_val: int,
    num_test: int,
    seed: int = 42,
    num_tracks: int = 40,
    **extra: bool | int | str | None,
) -> dict[str, Path]:
    """Write ``train.h5``, ``val.h5`` and ``test.h5`` with independent seeds.

    Parameters
    ----------
    out_dir
        Output folder (created if needed).
    num_train, num_val, num_test
        Number of jets per split.
    seed
        Base seed; the splits use ``seed``, ``seed + 1`` and ``seed + 2``
        (so ``eventNumber`` ranges never overlap).
    num_tracks
        Number of track slots per jet.
    extra
        ``electrons``, ``soft_muons``, ``parameters``, ``num_electrons``, ``compression``,
        ``chunk_jets`` (see :func:`write_file`).

    Returns
    -------
    dict[str, Path]
        ``{"train": ..., "val": ..., "test": ...}`` file paths.
    """
    out = Path(out_dir)
    sizes = {"train": num_train, "val": num_val, "test": num_test}
    paths: dict[str, Path] = {}
    for i, (split, n) in enumerate(sizes.items()):
        paths[split] = write_file(
            out / f"{split}.h5",
            n,
            seed=seed + i,
            num_tracks=num_tracks,
            **extra,  # type: ignore[arg-type]
        )
    return paths
