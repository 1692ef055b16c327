"""salt's ``base.yaml`` defaults and how salt's CLI merges configs and command-line overrides.

salt's ``main`` gives jsonargparse ``default_config_files=[configs/base.yaml]`` for ``fit`` and
``test``: the base file is read first, each ``--config`` is merged on top (mappings merged key by
key, lists and scalars replaced) and the ``--a.b.c=value`` arguments last.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

#: salt 0.13 ``salt/configs/base.yaml`` (its values; the data paths are salt's CI paths, which a
#: config or the command line overrides)
SALT_BASE: dict[str, Any] = {
    "seed_everything": 42,
    "data": {
        "variables": {},
        "global_object": "jets",
        "train_file": "/eos/user/u/umamibot/www/ci/salt/pflow_3M/pp_output_train.h5",
        "test_file": "/eos/user/u/umamibot/www/ci/salt/pflow_3M/pp_output_test_zprime.h5",
        "val_file": "/eos/user/u/umamibot/www/ci/salt/pflow_3M/pp_output_val.h5",
        "norm_dict": "/eos/user/u/umamibot/www/ci/salt/pflow_3M/norm_dict.yaml",
        "class_dict": "/eos/user/u/umamibot/www/ci/salt/pflow_3M/class_dict.yaml",
        "batch_size": 1000,
        "num_workers": 8,
        "persistent_workers": True,
        "prefetch_factor": 2,
        "num_train": -1,
        "num_val": -1,
        "num_test": -1,
    },
    "trainer": {
        "max_epochs": 100,
        "accelerator": "gpu",
        "devices": 1,
        "log_every_n_steps": 50,
        "default_root_dir": "logs",
        "logger": {
            "class_path": "lightning.pytorch.loggers.comet.CometLogger",
            "init_args": {"project": "salt"},
        },
        "callbacks": [
            {
                "class_path": "salt.callbacks.Checkpoint",
                "init_args": {"monitor_loss": "val/jets_classification_loss"},
            },
            {"class_path": "salt.callbacks.PredictionWriter"},
            {"class_path": "lightning.pytorch.callbacks.LearningRateMonitor"},
            {"class_path": "lightning.pytorch.callbacks.TQDMProgressBar", "init_args": {"refresh_rate": 50}},
            {"class_path": "lightning.pytorch.callbacks.ModelSummary", "init_args": {"max_depth": 2}},
        ],
    },
    "model": {
        "lrs_config": {
            "initial": 1e-7,
            "max": 5e-4,
            "end": 1e-7,
            "pct_start": 0.1,
            "weight_decay": 1e-5,
            "last_epoch": -1,
        }
    },
}


def merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` over ``base`` as jsonargparse merges config files: mappings key by key, the rest replaced.

    A ``class_path`` that changes replaces the whole mapping (its ``init_args`` belong to the old class).
    """
    out = copy.deepcopy(dict(base))
    for key, value in top.items():
        old = out.get(key)
        same_class = not (
            isinstance(old, Mapping)
            and isinstance(value, Mapping)
            and "class_path" in value
            and old.get("class_path") != value["class_path"]
        )
        if isinstance(old, Mapping) and isinstance(value, Mapping) and same_class:
            out[key] = merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def apply_salt_defaults(*configs: Mapping[str, Any], subcommand: str = "fit") -> dict[str, Any]:
    """Merge ``configs`` in order over ``SALT_BASE`` (salt applies it to ``fit`` and ``test`` only)."""
    out: dict[str, Any] = copy.deepcopy(SALT_BASE) if subcommand in ("fit", "test") else {}
    for config in configs:
        out = merge(out, config)
    return out


def set_dotted(config: dict[str, Any], key: str, value: str) -> None:
    """Apply a command-line override ``--a.b.c=value`` (value read as YAML, as jsonargparse does)."""
    parts = key.split(".")
    node: dict[str, Any] = config
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = yaml.safe_load(value) if value != "" else value
