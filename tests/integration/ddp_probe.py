"""Test-only callback: record the jets each rank trains on (loaded by the DDP test's config)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch


class SeenJets(L.Callback):
    """Save the ``pt`` of every training jet and the batch sizes of this rank per epoch (``.npz``)."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.pts: list[torch.Tensor] = []
        self.sizes: list[int] = []

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self.pts.append(batch.inputs["jets"][:, 0].detach().cpu())
        self.sizes.append(batch.batch_size)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        name = f"rank{trainer.global_rank}_epoch{trainer.current_epoch}.npz"
        np.savez(self.out_dir / name, pts=torch.cat(self.pts).numpy(), sizes=np.array(self.sizes))
        self.pts, self.sizes = [], []
