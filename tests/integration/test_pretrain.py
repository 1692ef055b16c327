"""``halite pretrain`` on tiny synthetic + Pythia sources, then fine-tuning from its backbone.

One module-scoped pretraining run (subprocess: synth_jets and the Pythia flavour process, 60 train
and 30 validation jets each, a 16-wide one-block PET2, 1 epoch) serves the checks of the model card,
of a fine-tuning run that loads the backbone, and of a mismatched fine-tuning that must fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import yaml

from halite.data.prep import compute_class_dict, compute_norm_dict
from halite.io import write_yaml
from tests.conftest import CONFIGS

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
TINY = ["--base-dim", "16", "--num-transformers", "1", "--num-transformers-head", "1", "--num-heads", "2"]


def halite(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "halite", *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout, check=False, cwd=ROOT)  # fmt: skip


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pretrain")
    proc = halite("pretrain", "--out", str(root / "pretrain_s"), "--data-dir", str(root / "data"),
                  "--sources", "synth_jets,flavour", "--num-train", "60", "--num-val", "30", "--epochs", "1",
                  "--batch-size", "32", "--accelerator", "cpu", *TINY)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "generating flavour" in proc.stdout and "mixing" in proc.stdout
    return root


def test_pretrain_writes_checkpoint_and_model_card(pretrained: Path) -> None:
    out = pretrained / "pretrain_s"
    assert (out / "backbone.ckpt").is_file()
    card = yaml.safe_load((out / "model_card.yaml").read_text())
    classes = ["synth_jets_QCD", "synth_jets_top", "flavour_bjets", "flavour_cjets", "flavour_ujets"]
    assert list(card["classes"]) == classes and card["sources"] == ["synth_jets", "flavour"]
    # balanced: each class as many jets as the smallest (flavour's 60 train jets over 3 classes)
    assert all(c == {"train": 20, "val": 10} for c in card["classes"].values())
    assert card["jets"] == {"train": 100, "val": 50}
    assert card["preset"] == "small" and card["size_overrides"]["base_dim"] == 16
    assert card["epochs"] == 1 and card["batch_size"] == 32 and card["steps"] == 4  # ceil(100 / 32)
    assert 0 < card["parameters"] < 100_000 and 0.0 <= card["val_accuracy"] <= 1.0
    assert card["final_train_loss"] > 0 and card["final_val_loss"] > 0 and card["halite_version"]
    with h5py.File(out / "data" / "train.h5", "r") as f:  # only the PET2 config's variables, derived alike
        names = set(f["particles"].dtype.names)
        labels = f["jets"]["pretrain_label"]
    assert {"log_pt_rel", "dR", "pid"} <= names and "d0" not in names and "px" not in names
    assert sorted(set(labels.tolist())) == [0, 1, 2, 3, 4]


def finetune_config(path: Path, data: Path, base_dim: int) -> Path:
    cfg = yaml.safe_load((CONFIGS / "pet2_small.yaml").read_text())
    d = cfg["data"]
    d.update(train_file=str(data / "train.h5"), val_file=str(data / "val.h5"), test_file=str(data / "val.h5"),
             norm_dict=str(path.parent / "norm.yaml"), class_dict=str(path.parent / "class.yaml"), batch_size=30)  # fmt: skip
    write_yaml(d["norm_dict"], compute_norm_dict(data / "train.h5", d["variables"]))
    write_yaml(d["class_dict"], compute_class_dict(data / "train.h5", {"jets": ["is_top"]}))
    b = cfg["model"]["model"]["init_args"]["backbone"]["init_args"]
    b.update(base_dim=base_dim, num_transformers=1, num_transformers_head=1, num_heads=2)
    cfg["trainer"].update(max_epochs=1, default_root_dir=str(path.parent / "logs"))
    write_yaml(path, cfg)
    return path


def test_finetune_loads_the_backbone_and_a_mismatch_fails(pretrained: Path, tmp_path: Path) -> None:
    ckpt = pretrained / "pretrain_s" / "backbone.ckpt"
    data = pretrained / "data" / "synth_jets"  # the synthetic top/QCD source: a 2-class fine-tuning
    good = halite("fit", "--config", str(finetune_config(tmp_path / "a" / "ft.yaml", data, 16)),
                  "--model.pretrained", str(ckpt))  # fmt: skip
    assert good.returncode == 0, good.stderr[-3000:]
    text = good.stdout + good.stderr
    # every backbone tensor but OmniLearned's output layer classifier.out (5 classes -> 2) loads
    assert "2 shape-mismatched, 2 left at their initial values" in text
    assert "mismatched: backbone.classifier.out.weight (5, 64)->(2, 64), backbone.classifier.out.bias" in text
    loaded = int(text.split("Pretrained weights: ")[1].split(" tensors loaded")[0])
    assert loaded > 50
    bad = halite("fit", "--config", str(finetune_config(tmp_path / "b" / "ft.yaml", data, 24)),
                 "--model.pretrained", str(ckpt))  # fmt: skip
    assert bad.returncode == 2
    assert f"Pretrained checkpoint {ckpt}: only" in bad.stderr and "backbone tensors load" in bad.stderr
    assert "backbone.body.token (1, 4, 16)->(1, 4, 24)" in bad.stderr
