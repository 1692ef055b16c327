"""Checkpoint I/O that writes atomically (temporary name, then rename)."""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from halite.data.remote import is_remote
from halite.io import atomic_path


class AtomicCheckpointIO(TorchCheckpointIO):
    """Save checkpoints to a temporary file and rename; a kill mid-write keeps the old file."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if is_remote(path):  # an object store publishes an object only once it is complete
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)
