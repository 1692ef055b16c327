"""Callback used by bench/scale.py: time training batches after a warm-up, per rank."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import lightning as L


class StepTimer(L.Callback):
    """Write ``{rank, jets, seconds, warmup_seconds}`` of the first epoch to ``out_dir/rank<r>.json``."""

    def __init__(self, out_dir: str, warmup: int = 3) -> None:
        self.out_dir = Path(out_dir)
        self.warmup = warmup
        self.start = self.t0 = 0.0
        self.jets = 0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: Any) -> None:
        self.start = time.perf_counter()

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if batch_idx == self.warmup:
            self.t0 = time.perf_counter()
        if batch_idx >= self.warmup:
            self.jets += batch.batch_size

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.t1 = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        if trainer.current_epoch:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        record = {
            "rank": trainer.global_rank,
            "jets": self.jets,
            "seconds": self.t1 - self.t0,
            "warmup_seconds": self.t0 - self.start,
            "threads": int(os.environ.get("OMP_NUM_THREADS", "0")),
        }
        (self.out_dir / f"rank{trainer.global_rank}.json").write_text(json.dumps(record))
