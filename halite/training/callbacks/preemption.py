"""Write a final checkpoint when the job is pre-empted (SIGTERM)."""

from __future__ import annotations

import logging
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.exceptions import SIGTERMException

log = logging.getLogger(__name__)


class PreemptionCheckpoint(Callback):
    """On SIGTERM, save ``<dirpath>/last.ckpt`` and let the run exit.

    Lightning's signal connector turns SIGTERM into a flag; the fit loop raises
    ``SIGTERMException`` after the batch in progress completes, and every callback's
    ``on_exception`` runs before the process exits. The checkpoint then holds a
    consistent state (model, optimiser, schedule, data position, RNG) that
    ``halite fit --ckpt_path last`` continues from.

    Parameters
    ----------
    dirpath
        The run's checkpoint folder.
    """

    def __init__(self, dirpath: str | Path) -> None:
        self.dirpath = Path(dirpath)

    @property
    def ckpt_path(self) -> Path:
        return self.dirpath / "last.ckpt"

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if not isinstance(exception, SIGTERMException):
            return
        if trainer.global_step == 0:
            # nothing trained yet (set-up or sanity check): a checkpoint here could not resume exactly
            rank_zero_info("Received SIGTERM before the first training step: no checkpoint written.")
            return
        trainer.save_checkpoint(self.ckpt_path)
        if trainer.is_global_zero:
            msg = (
                f"Received SIGTERM: saved {self.ckpt_path} at epoch {trainer.current_epoch}, step "
                f"{trainer.global_step}. Resume with `halite fit --config <run>/config.yaml --ckpt_path last`."
            )
            log.warning(msg)
