"""Seeded PET2 weights and jets, torch only: the same on halite's side and in OmniLearned's environment.

``bench/vs_omnilearned_worker.py`` (OmniLearned 0.2.0's Python, halite not importable) loads this
file by path, so the pinned numbers in ``omnilearned_small.py`` and the benchmark use the same
weights and inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

#: OmniLearned ``PET2`` arguments of the pinned fixture (small preset sizes added by the caller)
FIXTURE_ARGS = {
    "input_dim": 4, "use_int": True, "local_int": True, "int_type": "lhc", "conditional": True, "cond_dim": 3,
    "pid": True, "pid_dim": 9, "add_info": True, "add_dim": 2, "mode": "classifier", "num_classes": 2, "K": 10,
    "num_coord": 2,
}  # fmt: skip

#: a second pinned case (halite's names; the worker passes OmniLearned the torch classes): U-shaped
#: body with skip connections, LayerNorm, SiLU, no local physics, kNN in 3 coordinates, 5 features
VARIANT_ARGS = {
    "input_dim": 5, "use_int": True, "local_int": False, "skip": True, "num_transformers": 4,
    "num_transformers_head": 1, "base_dim": 32, "num_heads": 4, "num_tokens": 2, "mlp_ratio": 2,
    "norm_layer": "LayerNorm", "act_layer": "SiLU", "K": 5, "num_coord": 3, "num_classes": 3,
}  # fmt: skip


def variant_x(jets: Mapping[str, Tensor]) -> Tensor:
    """The variant's 5 particle features: the jets' 4 and their first extra feature."""
    return torch.cat([jets["x"], jets["add_info"][..., :1]], -1)


def seeded_state(shapes: Sequence[tuple[str, Sequence[int]]], seed: int = 7) -> dict[str, Tensor]:
    """A state dict of well-scaled random values, in the given key order.

    Matrices ~ N(0, 1/fan_in); biases 0.05 N(0, 1); DynamicTanh ``alpha`` 0.5 + 0.1 N(0, 1); other
    vectors (norm scales) 1 + 0.1 N(0, 1).
    """
    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in shapes:
        z = torch.randn(tuple(shape), generator=g)
        if len(shape) >= 2:
            state[key] = z / max(shape[-1], 1) ** 0.5
        elif key.endswith("bias"):
            state[key] = 0.05 * z
        else:
            state[key] = (0.5 if key.endswith("alpha") else 1.0) + 0.1 * z
    return state


def seeded_jets(
    batch: int = 3, slots: int = 12, lengths: Sequence[int] = (12, 3, 7), seed: int = 11, add_dim: int = 2
) -> dict[str, Tensor]:
    """Zero-padded jets in OmniLearned's layout: ``x`` = (Δη, Δφ, ln pT, ln E), ``cond``, ``pid``, ``add_info``.

    ``ln pT`` is positive on valid particles (OmniLearned's padding test ``x[..., 2] != 0``).
    """
    g = torch.Generator().manual_seed(seed)
    lengths = list(lengths) + [slots] * (batch - len(lengths))
    valid = torch.arange(slots)[None] < torch.tensor(lengths[:batch])[:, None]
    angles = 0.2 * torch.randn(batch, slots, 2, generator=g)
    ln_pt = 0.5 + 2.0 * torch.rand(batch, slots, 1, generator=g)
    ln_e = ln_pt + torch.rand(batch, slots, 1, generator=g)
    m = valid.unsqueeze(-1).float()
    return {
        "x": torch.cat([angles, ln_pt, ln_e], -1) * m,
        "cond": torch.randn(batch, 3, generator=g),
        "pid": torch.randint(1, 9, (batch, slots), generator=g) * valid,
        "add_info": torch.randn(batch, slots, add_dim, generator=g) * m,
        "valid": valid,
    }


def shapes_of(state: Mapping[str, Tensor]) -> list[tuple[str, tuple[int, ...]]]:
    """``(key, shape)`` of every entry, in order."""
    return [(k, tuple(v.shape)) for k, v in state.items()]
