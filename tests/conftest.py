"""Shared fixtures: tiny synthetic datasets and configs written to temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import yaml

from halite.data.prep import DEFAULT_VARIABLES, compute_class_dict, compute_norm_dict
from halite.data.synthetic import write_splits

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


@pytest.fixture(autouse=True, scope="session")
def _help_cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The kept ``--help`` texts (halite/commands/_help_cache.py) of this session's ``halite`` calls."""
    os.environ["HALITE_CACHE_DIR"] = str(tmp_path_factory.mktemp("halite_cache"))


@pytest.fixture(autouse=True)
def _seed_and_threads() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)


def make_dataset(out: Path, num_train: int = 1500, num_eval: int = 400, seed: int = 7) -> dict[str, Path]:
    """Write train/val/test files plus norm and class dicts into ``out``."""
    paths = write_splits(out, num_train, num_eval, num_eval, seed=seed)
    norm = compute_norm_dict(paths["train"], DEFAULT_VARIABLES)
    classes = compute_class_dict(
        paths["train"], {"jets": ["flavour_label"], "tracks": ["ftagTruthOriginLabel"]}
    )
    paths["norm_dict"] = out / "norm_dict.yaml"
    paths["class_dict"] = out / "class_dict.yaml"
    paths["norm_dict"].write_text(yaml.safe_dump(norm))
    paths["class_dict"].write_text(yaml.safe_dump(classes))
    return paths


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small synthetic dataset shared by the whole session (read-only)."""
    return make_dataset(tmp_path_factory.mktemp("tiny_data"))


def tiny_config(config_name: str, data: dict[str, Path], out_dir: Path, **data_overrides: object) -> Path:
    """Copy ``configs/<config_name>`` pointing at ``data``, shrunk for fast CPU runs."""
    cfg = yaml.safe_load((CONFIGS / config_name).read_text())
    cfg["data"].update(
        {
            "train_file": str(data["train"]),
            "val_file": str(data["val"]),
            "test_file": str(data["test"]),
            "norm_dict": str(data["norm_dict"]),
            "class_dict": str(data["class_dict"]),
            "batch_size": 100,
            "num_workers": 0,
            "num_train": 600,
            "num_val": 200,
            "num_test": 300,
        }
    )
    cfg["data"].update(data_overrides)
    trainer = cfg.setdefault("trainer", {})
    trainer.update({"max_epochs": 1, "default_root_dir": str(out_dir / "logs"), "enable_progress_bar": False})
    trainer.pop("devices", None)
    trainer["accelerator"] = "cpu"
    path = out_dir / f"tiny_{config_name}"
    path.write_text(yaml.safe_dump(cfg))
    return path
