"""Check that a checkpoint was written by a model with the same configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from halite.errors import CheckpointError

#: Key under which halite stores the model's identity in a checkpoint.
META_KEY = "halite"


def model_meta(variables: Mapping[str, list[str]], tasks: list[str]) -> dict[str, Any]:
    """What a checkpoint records about the model that wrote it (plain types only)."""
    return {"variables": {k: list(v) for k, v in variables.items()}, "tasks": list(tasks)}


def check_compatible(
    checkpoint: Mapping[str, Any],
    state: Mapping[str, torch.Tensor],
    meta: Mapping[str, Any],
    source: str,
) -> None:
    """Raise ``ValueError`` naming what differs between ``checkpoint`` and the current model.

    Parameters
    ----------
    checkpoint
        The loaded checkpoint (``state_dict`` and, when written by halite, ``META_KEY``).
    state
        ``state_dict()`` of the current model.
    meta
        ``model_meta(...)`` of the current model.
    source
        The checkpoint's path, for the message.
    """
    problems = []
    saved = checkpoint.get(META_KEY)
    if isinstance(saved, Mapping):
        for key in ("variables", "tasks"):
            if key in saved and saved[key] != meta[key]:
                problems.append(f"{key}: checkpoint has {saved[key]}, config has {meta[key]}")
    ckpt_state = checkpoint.get("state_dict", {})
    missing = sorted(set(state) - set(ckpt_state))
    unexpected = sorted(set(ckpt_state) - set(state))
    if missing:
        problems.append(f"{len(missing)} parameters missing from the checkpoint, e.g. {missing[:3]}")
    if unexpected:
        problems.append(f"{len(unexpected)} parameters not in the model, e.g. {unexpected[:3]}")
    shapes = [
        f"{k}: checkpoint {tuple(ckpt_state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in state.items()
        if k in ckpt_state
        and hasattr(ckpt_state[k], "shape")
        and tuple(ckpt_state[k].shape) != tuple(v.shape)
    ]
    if shapes:
        problems.append(f"{len(shapes)} shape mismatches, e.g. {shapes[:3]}")
    if problems:
        msg = (
            f"Checkpoint {source} was written by a model with a different configuration: "
            + "; ".join(problems)
            + ". Use the config.yaml saved next to the checkpoint's ckpts/ folder, or start a new run "
            "without --ckpt_path."
        )
        raise CheckpointError(msg)
