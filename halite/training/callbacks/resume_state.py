"""Resume exactly: restore the data position and the random-number generators of a checkpoint."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback


def collect_rng_states() -> dict[str, Any]:
    """States of the python, numpy and torch (CPU and CUDA) generators as tensors and plain types.

    Only types that ``torch.load(weights_only=True)`` accepts are used, so the
    checkpoint needs no allow-listed classes for them.
    """
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    """Inverse of :func:`collect_rng_states`."""
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    n = states["numpy"]
    keys = n["keys"].numpy().astype(np.uint32)
    np.random.set_state((n["kind"], keys, n["pos"], n["has_gauss"], n["cached"]))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def flat_loaders(loaders: Any) -> list[Any]:
    """The loaders of ``trainer.train_dataloader`` (a loader, or a list/dict of them)."""
    if isinstance(loaders, Mapping):
        return [x for v in loaders.values() for x in flat_loaders(v)]
    if isinstance(loaders, (list, tuple)):
        return [x for v in loaders for x in flat_loaders(v)]
    return [] if loaders is None else [loaders]


class ResumeState(Callback):
    """Make a resumed run continue exactly where the checkpoint was written.

    Data position: the training loader's ``state_dict`` (epoch, batches delivered) is
    saved by Lightning's fit loop. Lightning applies it only when it builds the loader
    after restoring, but ``estimated_stepping_batches`` (used for the LR schedule) builds
    it earlier, so this callback applies it in ``on_train_start``, before the first batch.

    Random streams (dropout, ...): captured when a checkpoint is written and restored
    just before the next training step would have drawn from them in the original run:
    at the next training batch for a mid-epoch checkpoint, at the start of the next
    epoch (before its data loader is created) for an end-of-epoch checkpoint.
    """

    def __init__(self) -> None:
        self._pending: dict[str, Any] | None = None
        self._loader_states: list[dict[str, Any]] = []

    def on_load_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        fit_state = checkpoint.get("loops", {}).get("fit_loop", {}).get("state_dict", {})
        self._loader_states = list(fit_state.get("combined_loader", []))

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self._loader_states:
            return
        stateful = [dl for dl in flat_loaders(trainer.train_dataloader) if hasattr(dl, "load_state_dict")]
        if len(stateful) != len(self._loader_states):
            msg = (
                f"The checkpoint holds the position of {len(self._loader_states)} training loaders but the "
                f"run has {len(stateful)}; resume with the data settings saved in the run's config.yaml."
            )
            raise ValueError(msg)
        for loader, state in zip(stateful, self._loader_states):
            loader.load_state_dict(state)
        self._loader_states = []

    def state_dict(self) -> dict[str, Any]:
        return collect_rng_states()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._pending = state_dict

    def _restore(self) -> None:
        if self._pending is not None:
            restore_rng_states(self._pending)
            self._pending = None

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._restore()

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._restore()
