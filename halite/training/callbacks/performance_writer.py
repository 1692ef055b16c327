"""Per-epoch metrics as JSON lines and scrape-able stdout lines for hyperparameter-search tools."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import LearningRateMonitor

from halite.io import atomic_path


def _scrape_name(name: str) -> str:
    """Metric name usable by Katib's default stdout regex ``([\\w|-]+)\\s*=\\s*(value)``."""
    return re.sub(r"[^\w-]", "_", name)


#: salt's names of halite's total losses (salt logs ``<stage>/loss``)
SALT_METRIC_NAMES = {"train/loss": "train_loss", "val/loss": "val_loss"}


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
        Further logged metric names to record: the losses (``train_loss``, ``val_loss``,
        ``train/<task>_loss``, ``val/<task>_loss``, salt's ``val/loss``) and, with a
        ``LearningRateMonitor``, ``lr-<Optimizer>...``. An unknown name is an error when
        the trainer is set up (naming the valid ones), not after the first epoch.
    stdout
        Also print the metrics line.
    std_out, stdOut
        Salt's spellings of ``stdout`` (salt 0.13's argument and older salt configs).
    """

    FILE_NAME = "performance.json"

    def __init__(
        self,
        dir_path: str | None = None,
        add_metrics: list[str] | None = None,
        stdout: bool = False,
        std_out: bool | None = None,
        stdOut: bool | None = None,  # salt's spelling
    ) -> None:
        super().__init__()
        self.dir_path = dir_path
        self.add_metrics = [SALT_METRIC_NAMES.get(m, m) for m in add_metrics or []]
        given = {k: v for k, v in (("std_out", std_out), ("stdOut", stdOut)) if v is not None}
        if len(set(given.values())) > 1 or (given and stdout and not all(given.values())):
            msg = (
                f"PerformanceWriter: stdout={stdout} and {given} disagree; they are one option "
                f"(salt spells it std_out / stdOut). Give only one of them."
            )
            raise ValueError(msg)
        self.stdout = stdout or any(given.values())

    @property
    def path(self) -> Path | None:
        return Path(self.dir_path) / self.FILE_NAME if self.dir_path else None

    @staticmethod
    def known_metrics(trainer: L.Trainer, pl_module: L.LightningModule) -> list[str]:
        """Metric names the run logs, as far as they are known before training."""
        heads = getattr(getattr(pl_module, "model", None), "task_heads", None)
        tasks = [t.name for t in heads()] if heads is not None else []
        names = ["train_loss", "val_loss"] + [f"{s}/{t}_loss" for s in ("train", "val") for t in tasks]
        train = [n for n in names if n.startswith("train")]
        return names + [f"{n}_{x}" for n in train for x in ("step", "epoch")]

    @staticmethod
    def has_lr_monitor(trainer: L.Trainer) -> bool:
        return any(isinstance(c, LearningRateMonitor) for c in trainer.callbacks)  # type: ignore[attr-defined]

    def check_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Raise for ``add_metrics`` names the run will not log (run at setup)."""
        known = self.known_metrics(trainer, pl_module)
        lr_ok = self.has_lr_monitor(trainer)
        bad = [m for m in self.add_metrics if m not in known and not (lr_ok and m.startswith("lr-"))]
        if bad:
            lr = " and lr-<Optimizer> names (a LearningRateMonitor is configured)" if lr_ok else ""
            msg = (
                f"PerformanceWriter: add_metrics {bad} are not logged by this run; valid names are "
                f"{known}{lr}. Fix trainer.callbacks[PerformanceWriter].add_metrics."
            )
            raise ValueError(msg)

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self.check_metrics(trainer, pl_module)
        if self.dir_path is None:
            self.dir_path = trainer.log_dir or trainer.default_root_dir

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Check ``lr-<Optimizer>`` names against the configured optimizers (known only now)."""
        optimizers = sorted({type(o).__name__ for o in trainer.optimizers})
        bad = [
            m
            for m in self.add_metrics
            if m.startswith("lr-") and not any(m == f"lr-{o}" or m.startswith(f"lr-{o}/") for o in optimizers)
        ]
        if bad:
            msg = (
                f"PerformanceWriter: add_metrics {bad} name no configured optimizer; the "
                f"LearningRateMonitor logs {[f'lr-{o}' for o in optimizers]} (with /pg<i> for several "
                f"parameter groups). Fix trainer.callbacks[PerformanceWriter].add_metrics."
            )
            raise ValueError(msg)

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
        # names were checked at setup; one not logged this epoch (e.g. no validation) is left out, as salt does
        record.update({m: metrics[m] for m in self.add_metrics if m in metrics})
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
