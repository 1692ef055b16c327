"""A DataLoader over a ``JetDataset`` whose position inside an epoch can be saved and restored."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from torch.utils.data import DataLoader

log = logging.getLogger(__name__)


class ResumableLoader(DataLoader):
    """DataLoader that counts the batches it delivered in the current epoch.

    Lightning saves ``state_dict()`` in every checkpoint (the fit loop's
    ``combined_loader`` state) and calls ``load_state_dict()`` before the first
    iteration of a resumed run, so a run resumed from a mid-epoch checkpoint
    continues with the batch after the last one trained, with the same shuffling.
    The dataset must offer ``epoch``, ``batches_skipped``, ``resume_at(epoch, batches_done)``
    (``halite.data.dataset.JetDataset``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._delivered = 0
        self._epoch_of_count = -1

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        dataset: Any = self.dataset
        self._epoch_of_count = dataset.epoch
        self._delivered = dataset.batches_skipped
        for batch in super().__iter__():
            self._delivered += 1
            yield batch

    def state_dict(self) -> dict[str, int]:
        """Epoch and batches delivered so far in it (plain ints, safe to load with ``weights_only``)."""
        dataset: Any = self.dataset
        if self._epoch_of_count != dataset.epoch:
            # the epoch was advanced but not iterated yet: nothing of it is consumed
            return {"epoch": int(dataset.epoch), "batches": 0, "num_workers": self.num_workers}
        return {"epoch": int(dataset.epoch), "batches": self._delivered, "num_workers": self.num_workers}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Make the next iteration continue epoch ``state["epoch"]`` after ``state["batches"]``."""
        dataset: Any = self.dataset
        saved_workers = int(state.get("num_workers", self.num_workers))
        if saved_workers != self.num_workers and state["batches"] > 0:
            log.warning(
                "Resuming mid-epoch with data.num_workers=%d but the checkpoint was written with %d: the "
                "order of batches differs, so the rest of epoch %d repeats or skips some jets. Use "
                "num_workers=%d to resume exactly.",
                self.num_workers,
                saved_workers,
                state["epoch"],
                saved_workers,
            )
        dataset.resume_at(int(state["epoch"]), int(state["batches"]))
