"""A reservoir-sampled memory of samples with the logits they had when they entered (for DER / DER++)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from halite.continual.data import Samples


def reservoir_slots(n_seen: int, n_new: int, buffer_size: int) -> list[int]:
    """Where each of ``n_new`` arriving samples goes in a reservoir (Vitter's algorithm R).

    The ``k``-th sample of the stream (``k = n_seen + i + 1``) fills the next free slot while
    the memory is not full; afterwards it replaces a uniformly drawn slot with probability
    ``buffer_size / k`` and is dropped otherwise (slot ``-1``). Every sample seen so far is
    then in the memory with probability ``min(1, buffer_size / n_seen)``. Draws from torch's
    global generator.
    """
    slots = []
    for i in range(n_new):
        seen = n_seen + i  # samples before this one
        if seen < buffer_size:
            slots.append(seen)
            continue
        j = int(torch.randint(0, seen + 1, ()))
        slots.append(j if j < buffer_size else -1)
    return slots


def _pad_columns(z: Tensor, width: int) -> Tensor:
    """``z`` ``(n, W)`` padded with zeros to ``(n, width)``."""
    return z if z.shape[1] == width else torch.cat([z, z.new_zeros(z.shape[0], width - z.shape[1])], dim=1)


class ReservoirBuffer:
    """At most ``buffer_size`` samples of the stream seen so far, each with its logits at insertion.

    Rows hold logits of different widths (a TIL sample has its task's classes, a CIL sample
    the classes set up when it arrived): ``logits`` ``(n, W)`` is zero-padded to the widest
    row and ``widths`` ``(n,)`` tells how many columns of each row are stored.

    Parameters
    ----------
    buffer_size
        Most samples kept.
    """

    def __init__(self, buffer_size: int) -> None:
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size < 1:
            msg = f"buffer_size must be an integer >= 1, got {buffer_size!r}."
            raise ValueError(msg)
        self.buffer_size = buffer_size
        #: samples that entered the stream so far (kept or not)
        self.n_seen = 0
        self.samples: Samples | None = None
        self.logits: Tensor | None = None
        self.widths: Tensor | None = None

    def __len__(self) -> int:
        return 0 if self.samples is None else len(self.samples)

    def add(self, samples: Samples, logits: Tensor, widths: Tensor) -> None:
        """Offer ``samples`` (``n`` rows) with their ``logits`` ``(n, W)`` (first ``widths`` ``(n,)`` columns valid)."""
        n = len(samples)
        if logits.dim() != 2 or logits.shape[0] != n or widths.shape != (n,):
            msg = (
                f"ReservoirBuffer.add: {n} samples need logits (n, W) and widths (n,); got "
                f"{tuple(logits.shape)} and {tuple(widths.shape)}."
            )
            raise ValueError(msg)
        slots = reservoir_slots(self.n_seen, n, self.buffer_size)
        self.n_seen += n
        if all(s < 0 for s in slots):
            return
        logits, widths = logits.detach(), widths.to(torch.int64)
        if self._replace_in_place(samples, logits, widths, slots):
            return
        if self.samples is None or self.logits is None or self.widths is None:
            old, old_widths = 0, widths[:0]
            pool, pool_logits = samples, logits
        else:
            device = samples.y.device
            old = len(self.samples)
            width = max(int(self.logits.shape[1]), int(logits.shape[1]))
            pool = Samples.cat([self.samples.to(device), samples])
            pool_logits = torch.cat(
                [_pad_columns(self.logits.to(device), width), _pad_columns(logits, width)]
            )
            old_widths = self.widths.to(device)
        pool_widths = torch.cat([old_widths, widths])
        idx = list(range(old))
        for k, slot in enumerate(slots):
            if slot == len(idx):
                idx.append(old + k)
            elif slot >= 0:
                idx[slot] = old + k
        rows = torch.tensor(idx, dtype=torch.int64, device=pool.y.device)
        self.samples, self.logits, self.widths = pool.take(rows), pool_logits[rows], pool_widths[rows]

    def _replace_in_place(self, samples: Samples, logits: Tensor, widths: Tensor, slots: list[int]) -> bool:
        """Overwrite the drawn slots without copying the buffer; ``False`` where that is not possible.

        Possible once the buffer is full, on the incoming samples' device, with the same
        stream shapes and logits no wider than the stored ones (the usual step).
        """
        buf, z, w = self.samples, self.logits, self.widths
        if buf is None or z is None or w is None or len(buf) < self.buffer_size:
            return False
        if buf.y.device != samples.y.device or logits.shape[1] > z.shape[1]:
            return False
        if set(buf.inputs) != set(samples.inputs) or set(buf.pad_masks) != set(samples.pad_masks):
            return False
        if any(buf.inputs[k].shape[1:] != v.shape[1:] for k, v in samples.inputs.items()) or any(
            buf.pad_masks[k].shape[1:] != v.shape[1:] for k, v in samples.pad_masks.items()
        ):
            return False
        # a slot drawn twice keeps the later sample
        last = {slot: k for k, slot in enumerate(slots) if slot >= 0}
        dst = torch.tensor(list(last), dtype=torch.int64, device=w.device)
        src = torch.tensor(list(last.values()), dtype=torch.int64, device=w.device)
        for name, v in samples.inputs.items():
            buf.inputs[name][dst] = v[src].to(buf.inputs[name].dtype)
        for name, m in samples.pad_masks.items():
            buf.pad_masks[name][dst] = m[src]
        buf.y[dst] = samples.y[src]
        buf.task_ids[dst] = samples.task_ids[src]
        z[dst] = _pad_columns(logits[src], int(z.shape[1])).to(z.dtype)
        w[dst] = widths[src]
        return True

    def complete_logits(self, now: Tensor, now_widths: Tensor) -> None:
        """Give every row the columns it lacks: ``logits[b, c] = now[b, c]`` for ``widths[b] <= c < now_widths[b]``.

        Parameters
        ----------
        now, now_widths
            Logits ``(n, W')`` of the stored rows, in order, and their widths ``(n,)``; a row
            never loses columns (``now_widths >= widths``).
        """
        if self.logits is None or self.widths is None:
            return
        if now.shape[0] != self.logits.shape[0] or bool(
            (now_widths.to(self.widths.device) < self.widths).any()
        ):
            msg = (
                f"ReservoirBuffer.complete_logits: needs logits for all {self.logits.shape[0]} rows, each at least as "
                f"wide as stored; got {tuple(now.shape)} with widths {now_widths.tolist()}."
            )
            raise ValueError(msg)
        now = now.detach().to(self.logits.device, self.logits.dtype)
        width = max(int(now.shape[1]), int(self.logits.shape[1]))
        stored, now = _pad_columns(self.logits, width), _pad_columns(now, width)
        cols = torch.arange(width, device=stored.device)
        lacking = cols[None, :] >= self.widths[:, None]
        self.logits = torch.where(lacking, now, stored)
        self.widths = now_widths.to(self.widths.device, torch.int64).clone()

    def sample(self, k: int) -> tuple[Samples, Tensor, Tensor]:
        """``min(k, len(self))`` distinct rows drawn uniformly: samples, logits ``(k, W)``, widths ``(k,)``."""
        if self.samples is None or self.logits is None or self.widths is None:
            msg = "ReservoirBuffer.sample: the buffer is empty; add samples first."
            raise RuntimeError(msg)
        rows = torch.randperm(len(self.samples))[: min(k, len(self.samples))].to(self.widths.device)
        return self.samples.take(rows), self.logits[rows], self.widths[rows]

    def state_dict(self) -> dict[str, Any]:
        """The seen count and, once filled, the stored rows (the buffer's own tensors, as ``nn.Module.state_dict``)."""
        state: dict[str, Any] = {"n_seen": self.n_seen}
        if self.samples is not None and self.logits is not None and self.widths is not None:
            state.update(
                inputs=dict(self.samples.inputs),
                pad_masks=dict(self.samples.pad_masks),
                y=self.samples.y,
                task_ids=self.samples.task_ids,
                logits=self.logits,
                widths=self.widths,
            )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        rows = {"inputs", "pad_masks", "y", "task_ids", "logits", "widths"}
        keys = set(state)
        if "n_seen" not in keys or keys - {"n_seen"} not in (set(), rows):
            msg = (
                f"ReservoirBuffer.load_state_dict expects 'n_seen' and either none or all of {sorted(rows)}; "
                f"got {sorted(keys)}. Pass what ReservoirBuffer.state_dict returned."
            )
            raise ValueError(msg)
        samples = None
        if keys - {"n_seen"}:
            samples = Samples(  # copies: the buffer later overwrites its rows in place
                {k: v.clone() for k, v in state["inputs"].items()},
                {k: v.clone() for k, v in state["pad_masks"].items()},
                state["y"].clone(),
                state["task_ids"].clone(),
            )
            if len(samples) > self.buffer_size or state["logits"].shape[0] != len(samples):
                msg = (
                    f"ReservoirBuffer.load_state_dict: {len(samples)} rows and {state['logits'].shape[0]} logits "
                    f"do not fit a buffer of {self.buffer_size}."
                )
                raise ValueError(msg)
        self.n_seen = int(state["n_seen"])
        self.samples = samples
        self.logits = None if samples is None else state["logits"].clone()
        self.widths = None if samples is None else state["widths"].clone()
