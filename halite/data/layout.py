"""HDF5 storage layouts of the files halite writes: contiguous, or chunked and compressed.

``halite synth`` and ``halite convert`` take ``--compression none|lz4|zstd|gzip`` and
``--chunk-jets N``. LZ4 and Zstandard come from ``hdf5plugin`` (registered when halite
opens a file, see :func:`register_filters`), gzip is HDF5's own deflate. Chunks hold
``chunk_jets`` whole jets (all constituent slots), so a block of consecutive jets is a
run of whole chunks; the reader (``halite.data.readers.H5Reader``) reads chunk-aligned
ranges, decompressing each chunk once.
"""

from __future__ import annotations

from typing import Any

from halite.errors import DataError

#: ``--compression`` choices
COMPRESSIONS = ("none", "lz4", "zstd", "gzip")
#: chunk length in jets of compressed datasets when ``--chunk-jets`` is not given
DEFAULT_CHUNK_JETS = 1000


def register_filters() -> None:
    """Make the ``hdf5plugin`` filters (LZ4, Zstandard, ...) readable by h5py (idempotent, ~25 ms once)."""
    import hdf5plugin  # noqa: F401  (registers the filters on import)


def check_layout(compression: str, chunk_jets: int | None) -> None:
    """Raise a ``DataError`` naming the option when ``compression`` or ``chunk_jets`` is not valid."""
    if compression not in COMPRESSIONS:
        msg = f"Unknown compression '{compression}'; choose one of {', '.join(COMPRESSIONS)} (--compression)."
        raise DataError(msg)
    if chunk_jets is not None and int(chunk_jets) < 1:
        msg = f"chunk_jets must be >= 1, got {chunk_jets} (--chunk-jets)."
        raise DataError(msg)


def dataset_options(
    compression: str = "none", chunk_jets: int | None = None, row_shape: tuple[int, ...] = ()
) -> dict[str, Any]:
    """Keyword arguments of ``h5py.Group.create_dataset`` for one dataset of jets.

    Parameters
    ----------
    compression
        ``none``, ``lz4``, ``zstd`` or ``gzip``.
    chunk_jets
        Jets per chunk; default: contiguous storage without compression, else ``DEFAULT_CHUNK_JETS``.
    row_shape
        Shape of one jet's row (``()`` for the global object, ``(slots,)`` for constituents).

    Returns
    -------
    dict
        Empty for contiguous storage, else ``chunks``, ``maxshape`` (resizable along jets, so that
        a chunk may be longer than the file) and the filter options.
    """
    check_layout(compression, chunk_jets)
    if compression == "none" and chunk_jets is None:
        return {}
    jets = int(chunk_jets) if chunk_jets is not None else DEFAULT_CHUNK_JETS
    options: dict[str, Any] = {"chunks": (jets, *row_shape), "maxshape": (None, *row_shape)}
    if compression == "gzip":
        options.update(compression="gzip", compression_opts=4)
    elif compression in ("lz4", "zstd"):
        import hdf5plugin

        options.update(hdf5plugin.LZ4() if compression == "lz4" else hdf5plugin.Zstd())
    return options
