"""Jets sampled from a model's norm dict, for the parity check when no data file is at hand."""

from __future__ import annotations

from typing import cast

import numpy as np
import torch

from halite.export.onnx import OnnxWrapper
from halite.nn.layers.norm import InputNorm
from halite.typing import Batch


def mean_constituents(max_slots: int) -> float:
    """Mean constituent count of sampled jets: a third of the slots (13 of 40 tracks), at least 1."""
    return max(1.0, max_slots / 3)


def sampled_batch(wrapper: OnnxWrapper, num_jets: int, max_slots: dict[str, int], seed: int = 0) -> Batch:
    """``num_jets`` jets in raw units: each variable Gaussian with its norm-dict mean and std.

    Every constituent stream gets a Poisson number of valid constituents per jet (mean
    ``mean_constituents``, clipped to ``0..max_slots[stream]``), first in the jet as in the data;
    padding slots are zero and ``True`` in the pad mask.

    Parameters
    ----------
    wrapper
        The exported wrapper: its model's ``InputNorm`` per stream gives the variables, means and stds.
    num_jets
        Jets ``B`` to sample.
    max_slots
        Constituent slots ``N`` per constituent stream (``data.num_inputs``).
    seed
        Seed of the sampling (the check is reproducible).

    Returns
    -------
    Batch
        ``inputs``: ``(B, F)`` for flat streams, ``(B, N, F)`` for constituent streams;
        ``pad_masks``: ``(B, N)`` per constituent stream.
    """
    rng = np.random.default_rng(seed)
    inputs: dict[str, torch.Tensor] = {}
    masks: dict[str, torch.Tensor] = {}
    for stream in wrapper.streams:
        norm = cast(InputNorm, wrapper.model.norms[stream])
        mean, std = norm.mean.numpy(), 1.0 / norm.inv_std.numpy()
        if stream in wrapper.flat:
            x = mean + rng.normal(size=(num_jets, len(mean))) * std
            inputs[stream] = torch.from_numpy(x.astype(np.float32))
            continue
        slots = max_slots[stream]
        counts = np.clip(rng.poisson(mean_constituents(slots), num_jets), 0, slots)
        pad = np.arange(slots)[None, :] >= counts[:, None]  # (B, N): valid slots first
        x = mean + rng.normal(size=(num_jets, slots, len(mean))) * std
        x[pad] = 0.0
        inputs[stream] = torch.from_numpy(x.astype(np.float32))
        masks[stream] = torch.from_numpy(pad)
    return Batch(inputs=inputs, pad_masks=masks)
