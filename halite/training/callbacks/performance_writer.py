"""Per-epoch metrics as JSON lines and scrape-able stdout lines for hyperparameter-search tools."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import lightning as L

from halite.io import atomic_path


def _scrape_name(name: str) -> str:
    """Metric name usable by Katib's default stdout regex ``([\\w|-]+)\\s*=\\s*(value)``."""
    return re.sub(r"[^\w-]", "_", name)


class PerformanceWriter(L.Callback):
    """Append every epoch's metrics to ``<dir_path>/performance.json`` (one JSON object per line).

    Each line holds ``epoch``, ``step``, ``train_loss``, ``val_loss``, the per-task validation
    losses (``val/<task>_loss``) and the ``add_metrics``. With ``stdout`` the same numbers are
    printed as ``epoch=3 train_loss=0.51 val_loss=0.53 val_jets_classification_loss=0.6 ...``,
    the ``name=value`` format of Katib's StdOut metrics collector (``/`` becomes ``_``). Only
    global rank 0 writes; validation metrics are already reduced across ranks.

    Parameters
    ----------
    dir_path
        Folder of ``performance.json``; default: the run directory (``trainer.log_dir``).
    add_metrics
        Further logged metric names to record (e.g. ``lr-AdamW``); a name never logged is an error.
    stdout
        Also print the metrics line.
    """

    FILE_NAME = "performance.json"

    def __init__(
        self, dir_path: str | None = None, add_metrics: list[str] | None = None, stdout: bool = False
    ) -> None:
        super().__init__()
        self.dir_path = dir_path
        self.add_metrics = list(add_metrics or [])
        self.stdout = stdout

    @property
    def path(self) -> Path | None:
        return Path(self.dir_path) / self.FILE_NAME if self.dir_path else None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if self.dir_path is None:
            self.dir_path = trainer.log_dir or trainer.default_root_dir

    def collect(self, trainer: L.Trainer) -> dict[str, Any]:
        """The metrics of the epoch that just ended."""
        metrics = {
            k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1
        }
        record: dict[str, Any] = {"epoch": trainer.current_epoch, "step": trainer.global_step}
        for name in ("train_loss", "val_loss"):
            value = metrics.get(f"{name}_epoch", metrics.get(name))
            if value is not None:
                record[name] = value
        record.update({k: v for k, v in sorted(metrics.items()) if k.startswith("val/")})
        missing = [m for m in self.add_metrics if m not in metrics]
        if missing:
            msg = (
                f"PerformanceWriter: add_metrics {missing} were not logged in epoch {trainer.current_epoch}; "
                f"logged metrics are {sorted(metrics)}. Fix trainer.callbacks[PerformanceWriter].add_metrics."
            )
            raise KeyError(msg)
        record.update({m: metrics[m] for m in self.add_metrics})
        return record

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        record = self.collect(trainer)
        if not trainer.is_global_zero:
            return
        path = self.path
        assert path is not None, "setup() sets dir_path"
        old = path.read_text() if path.is_file() else ""
        with atomic_path(path) as tmp:
            tmp.write_text(old + json.dumps(record) + "\n")
        if self.stdout:
            parts = [
                f"{_scrape_name(k)}={v}"
                for k, v in record.items()
                if not (isinstance(v, float) and math.isnan(v))
            ]
            print(" ".join(parts), flush=True)  # noqa: T201 (the stdout metrics line is this option's output)


def read_performance(path: str | Path) -> list[dict[str, Any]]:
    """Parse a ``performance.json`` file back into one dict per epoch."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
