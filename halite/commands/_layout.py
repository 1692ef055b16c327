"""The storage-layout options shared by ``halite synth`` and ``halite convert``."""

from __future__ import annotations

import argparse


def add_layout_options(p: argparse.ArgumentParser) -> None:
    """Add ``--compression`` and ``--chunk-jets`` (see ``halite.data.layout``) to ``p``."""
    from halite.data.layout import COMPRESSIONS, DEFAULT_CHUNK_JETS

    p.add_argument(
        "--compression",
        choices=COMPRESSIONS,
        default="none",
        help="compress every dataset, chunked (lz4 and zstd via hdf5plugin) (default: %(default)s)",
    )
    p.add_argument(
        "--chunk-jets",
        type=int,
        default=None,
        help=f"jets per HDF5 chunk (default: contiguous storage, or {DEFAULT_CHUNK_JETS} when compressed)",
    )
