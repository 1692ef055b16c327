"""Rebuild a trained model from its run directory and checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from halite.io import read_yaml


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
    for key in ("norm_dict", "class_dict"):
        copy = run_dir / f"{key}.yaml"
        if copy.is_file():
            cfg.setdefault("data", {})[key] = str(copy)
    trainer = cfg.setdefault("trainer", {})
    trainer.update({"logger": False, "enable_checkpointing": False, "enable_progress_bar": False})
    trainer.pop("callbacks", None)
    return cfg


def load_checkpoint(ckpt_path: str | Path, config_path: str | Path | None = None) -> tuple[Any, Any, dict]:
    """Instantiate ``(LitModel, JetDataModule, config)`` of a run and load the checkpoint's weights.

    The checkpoint is read with ``torch.load(weights_only=True)``.
    """
    from halite.cli import HaliteCLI  # the CLI's parser knows the config schema and the links
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel

    ckpt = Path(ckpt_path)
    if not ckpt.is_file():
        msg = f"Checkpoint not found: {ckpt}. Pass the path of a .ckpt file from <run>/ckpts/."
        raise FileNotFoundError(msg)
    cfg_path = Path(config_path) if config_path else find_run_config(ckpt)
    cfg = load_config(cfg_path)
    cli = HaliteCLI(LitModel, JetDataModule, args=cfg, run=False)
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    weights = state.get("state_dict", state)
    missing, unexpected = cli.model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        msg = (
            f"Checkpoint {ckpt} does not match the model of {cfg_path}: missing {list(missing)[:5]}, "
            f"unexpected {list(unexpected)[:5]}. Use the config the checkpoint was trained with."
        )
        raise ValueError(msg)
    cli.model.eval()
    return cli.model, cli.datamodule, cfg
