"""Deterministic weights and inputs that a lumin 0.9.1 script and halite's tests both set.

The pinned numbers in these tests were taken from lumin's blocks after ``set_weights`` and on
``fixed_input``: the same code runs in the bench environment with lumin (``bench/vs_lumin.py``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def set_weights(module: nn.Module) -> None:
    """Give every floating-point tensor of the state dict, in order, a fixed pattern (running_var > 0)."""
    with torch.no_grad():
        for k, (name, t) in enumerate(module.state_dict().items()):
            if t.is_floating_point():
                v = 0.5 * torch.sin(torch.arange(t.numel(), dtype=torch.float64) * 0.7 + k)
                if name.endswith("running_var"):
                    v = 1.0 + v.abs()
                t.copy_(v.reshape(t.shape).to(t.dtype))


def fixed_input(*shape: int) -> Tensor:
    """``sin(0.3 * i)`` over the elements, reshaped to ``shape`` (float32)."""
    n = 1
    for s in shape:
        n *= s
    return torch.sin(torch.arange(n, dtype=torch.float32) * 0.3).reshape(*shape)
