"""PET2 backbone pretraining on a mixed jet sample (``halite pretrain``): config, outputs, model card.

The objective is OmniLearned's pretraining one: classify jets into many classes (here one per
(source, label) pair of :mod:`halite.training.pretrain_data`) from PET2's class-token
representation (its class-attention head), with a classification task head on top. The run is an
ordinary ``halite fit`` of the config :func:`pretrain_config` makes from ``configs/pet2_<preset>.yaml``;
the best checkpoint (lowest validation loss) is copied to ``<out>/backbone.ckpt`` and described in
``<out>/model_card.yaml`` (:func:`model_card`). ``--model.pretrained <out>/backbone.ckpt`` fine-tunes
from it (:func:`halite.training.pretrained.load_backbone`).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import math
import shutil
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml

from halite.errors import ConfigError
from halite.io import atomic_path
from halite.training.pretrain_data import LABEL, MixedSample

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ("small", "medium", "large")
TASK_NAME = "pretraining"
#: PET2 size arguments that ``halite pretrain`` may override (tiny models for tests)
SIZE_ARGS = ("base_dim", "num_transformers", "num_transformers_head", "num_heads", "num_tokens", "K")


def template(preset: str) -> dict[str, Any]:
    """``configs/pet2_<preset>.yaml``, the model template of the pretraining run."""
    if preset not in PRESETS:
        msg = f"Unknown PET2 preset '{preset}'; choose from {list(PRESETS)}."
        raise ConfigError(msg)
    return yaml.safe_load((ROOT / "configs" / f"pet2_{preset}.yaml").read_text())


def pretrain_config(
    preset: str, mixed: MixedSample, mixed_dir: Path, run_root: Path, name: str,
    sizes: dict[str, int] | None = None, epochs: int = 10, batch_size: int = 256,
    lr: float | None = None, trainer: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The ``halite fit`` config of a pretraining run on the mixed sample in ``mixed_dir``.

    ``sizes`` overrides PET2 sizes (keys of :data:`SIZE_ARGS`); the task is a classification over
    ``mixed.classes`` read from the jets' ``pretrain_label``.
    """
    cfg = template(preset)
    data = cfg["data"]
    data.update(
        train_file=str(mixed.files["train"]), val_file=str(mixed.files["val"]), test_file=str(mixed.files["val"]),
        norm_dict=str(mixed_dir / "norm_dict.yaml"), class_dict=str(mixed_dir / "class_dict.yaml"),
        batch_size=batch_size,
    )  # fmt: skip
    init = cfg["model"]["model"]["init_args"]
    backbone = init["backbone"].setdefault("init_args", {})
    for key, value in (sizes or {}).items():
        if key not in SIZE_ARGS:
            msg = f"PET2 size '{key}' cannot be set by halite pretrain; choose from {list(SIZE_ARGS)}."
            raise ConfigError(msg)
        backbone[key] = int(value)
    backbone["num_classes"] = len(mixed.classes)
    init["tasks"] = [{
        "class_path": "halite.tasks.ClassificationTask",
        "init_args": {"name": TASK_NAME, "input_name": "jets", "label": LABEL, "class_names": list(mixed.classes),
                      "dense_config": {"hidden_layers": [128], "activation": "GELU"}},
    }]  # fmt: skip
    if lr is not None:
        cfg["model"]["lrs_config"]["max"] = float(lr)
    cfg["name"] = name
    cfg["trainer"] = {**cfg.get("trainer", {}), "max_epochs": int(epochs), "default_root_dir": str(run_root),
                      **(trainer or {})}  # fmt: skip
    return copy.deepcopy(cfg)


def last_metrics(metrics_csv: Path) -> dict[str, float]:
    """The last logged epoch values of ``train_loss_epoch`` / ``val_loss`` and the step count."""
    out: dict[str, float] = {}
    with open(metrics_csv, newline="") as f:
        for row in csv.DictReader(f):
            for key, name in (
                ("train_loss_epoch", "train_loss"),
                ("val_loss", "val_loss"),
                ("step", "steps"),
            ):
                if row.get(key) not in (None, ""):
                    out[name] = float(row[key])
    return out


def accuracy(predictions: Path, classes: list[str], prefix: str) -> float:
    """Top-1 accuracy in a ``halite test`` predictions file (fields ``<prefix>_p<class>``, the run's name)."""
    with h5py.File(predictions, "r") as f:
        jets = f["jets"][:]
    probs = np.stack([jets[f"{prefix}_p{c}"] for c in classes], 1)
    return float((probs.argmax(1) == jets[LABEL]).mean())


def copy_backbone(run_dir: Path, out: Path) -> Path:
    """Copy the run's best checkpoint to ``out/backbone.ckpt`` (atomically); return it."""
    ckpts = sorted((run_dir / "ckpts").glob("epoch=*-val_loss=*.ckpt"))
    if not ckpts:
        msg = f"The pretraining run {run_dir} wrote no checkpoint in ckpts/."
        raise ConfigError(msg)

    def val_loss(p: Path) -> float:
        try:
            return float(p.stem.split("val_loss=")[1])
        except ValueError:
            return float("inf")

    best = min(ckpts, key=val_loss)
    target = out / "backbone.ckpt"
    with atomic_path(target) as tmp:
        shutil.copyfile(best, tmp)
    return target


def parameter_count(ckpt: Path) -> int:
    """Parameters of the backbone (``model.backbone.*``) in a halite checkpoint."""
    from halite.training.checkpoint_io import safe_load_weights

    weights = safe_load_weights(ckpt)
    return int(sum(v.numel() for k, v in weights.items() if k.startswith("model.backbone.")))


def model_card(
    *, preset: str, sizes: dict[str, int], parameters: int, mixed: MixedSample, sources: list[str],
    epochs: int, steps: float, batch_size: int, metrics: dict[str, float], val_accuracy: float,
    wall_time_s: float, checkpoint: Path, run_dir: Path,
) -> dict[str, Any]:  # fmt: skip
    """The model card of a pretrained backbone (what ``model_card.yaml`` holds)."""
    import halite

    def num(x: float | None) -> float | None:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

    return {
        "model": "PET2", "preset": preset, "size_overrides": dict(sizes), "parameters": int(parameters),
        "objective": f"class-token classification over {len(mixed.classes)} jet classes (one per source and label)",
        "sources": list(sources),
        "classes": {c: dict(mixed.counts[c]) for c in mixed.classes},
        "jets": {s: int(sum(mixed.counts[c][s] for c in mixed.classes)) for s in ("train", "val")},
        "epochs": int(epochs), "steps": int(steps), "batch_size": int(batch_size),
        "final_train_loss": num(metrics.get("train_loss")), "final_val_loss": num(metrics.get("val_loss")),
        "val_accuracy": float(val_accuracy), "wall_time_s": round(float(wall_time_s), 1),
        "checkpoint": str(checkpoint), "run_dir": str(run_dir),
        "halite_version": halite.__version__, "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }  # fmt: skip
