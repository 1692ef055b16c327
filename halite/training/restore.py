"""A trained run's config and weights: find its config, point it at the run's dicts, load weights.

Building the model from the config is the tools' job (``halite.commands._build.load_run``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from halite.data.dicts import RUN_DICTS, run_copy
from halite.io import read_yaml
from halite.training.checkpoint_io import safe_load_weights


def find_run_config(ckpt_path: Path) -> Path:
    """The ``config.yaml`` of the run a checkpoint belongs to (``<run>/ckpts/x.ckpt``)."""
    for parent in (ckpt_path.parent.parent, ckpt_path.parent):
        if (parent / "config.yaml").is_file():
            return parent / "config.yaml"
    msg = f"No config.yaml found next to {ckpt_path} (looked in its run directory); pass --config."
    raise FileNotFoundError(msg)


def load_config(config_path: Path) -> dict[str, Any]:
    """The resolved run config, with the norm/class dicts pointing at the run directory's copies."""
    cfg = read_yaml(config_path)
    for key in ("ckpt_path", "weights_only"):  # fit-call arguments, not part of the model
        cfg.pop(key, None)
    run_dir = config_path.parent
    for key in RUN_DICTS:
        copy = Path(run_copy(run_dir, key))
        if copy.is_file():
            cfg.setdefault("data", {})[key] = str(copy)
    trainer = cfg.setdefault("trainer", {})
    trainer.update({"logger": False, "enable_checkpointing": False, "enable_progress_bar": False})
    trainer.pop("callbacks", None)
    return cfg


def load_weights(model: torch.nn.Module, ckpt: Path, cfg_path: Path) -> None:
    """Load a checkpoint's weights (safely, ``checkpoint_io.safe_load_weights``) strictly, then switch to eval mode."""
    weights = safe_load_weights(ckpt)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        msg = (
            f"Checkpoint {ckpt} does not match the model of {cfg_path}: missing {list(missing)[:5]}, "
            f"unexpected {list(unexpected)[:5]}. Use the config the checkpoint was trained with."
        )
        raise ValueError(msg)
    model.eval()
