"""A grid of point-cloud models on one sample and task, and their comparison (``halite grid``).

Model identifiers (:mod:`halite.training.grid_models`: the seed's ``OLS`` fine-tunes the
``halite pretrain`` backbone ``pretrain_s``, ``OLS_RW`` starts from random weights ...) expand into
runs. Each run is ``halite fit`` then
``halite test`` in its own process; the comparison table (metric, parameters, training
time) is written as Markdown, JSON and a plot. With ``--submit slurm`` job scripts are
written instead and ``--collect`` builds the table once they have run.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml

from halite.evaluate.metrics import rejection_at, roc_auc
from halite.io import atomic_path, write_yaml
from halite.training.grid_models import MODELS, canonical

ROOT = Path(__file__).resolve().parents[2]


#: sample -> (data section template config, task per task type)
SAMPLE_CONFIG = {"events": "vit.yaml", "jets": "part.yaml"}
#: sample -> its constituent stream (``--num-constituents`` sets its ``data.num_inputs``)
STREAMS = {"events": "hits", "jets": "particles"}
TASKS: dict[tuple[str, str], dict[str, Any]] = {
    ("events", "classification"): {
        "class_path": "halite.tasks.ClassificationTask",
        "init_args": {"name": "pion_count", "input_name": "events", "label": "pion_class",
                      "class_names": ["0pi", "1pi", "2pi+"], "dense_config": {"hidden_layers": [128], "activation": "GELU"}},
    },
    ("events", "regression"): {
        "class_path": "halite.tasks.RegressionTask",
        "init_args": {"name": "available_energy", "input_name": "events", "targets": ["available_energy"], "positive": True,
                      "dense_config": {"hidden_layers": [128], "activation": "GELU"}},
    },
    ("jets", "classification"): {
        "class_path": "halite.tasks.ClassificationTask",
        "init_args": {"name": "top_tagging", "input_name": "jets", "label": "is_top",
                      "class_names": ["QCD", "top"], "dense_config": {"hidden_layers": [128], "activation": "GELU"}},
    },
}  # fmt: skip
#: backbone class name -> sample -> init_args that adapt it to the sample's variables
BACKBONE_ARGS: dict[str, dict[str, dict[str, Any]]] = {
    "PointGlobalMixedViT": {
        "events": {"stream": "hits", "coords": ["x", "z"], "pid": "pid", "num_pid": 5},
        "jets": {"stream": "particles", "coords": ["deta", "dphi"], "pid": "pid", "num_pid": 3},
    },
    "PET2": {
        "events": {"stream": "hits", "inputs": ["x", "z", "log_energy", "energy", "dist"], "normalise_inputs": True,
                   "use_int": False, "local_int": False, "conditional": True, "pid": "pid", "pid_dim": 6,
                   "pid_shift": 1, "K": 10, "num_coord": 2},
        "jets": {"stream": "particles", "inputs": ["deta", "dphi", "log_pt", "log_energy", "log_pt_rel",
                                                    "log_energy_rel", "dR", "charge"],
                 "conditional": True, "pid": "pid", "pid_dim": 4, "pid_shift": 1, "K": 10, "num_coord": 2},
    },
    "ParticleTransformer": {
        "events": {"stream": "hits", "kinematics": {"pt": "energy", "eta": "x", "phi": "z", "energy": "energy", "angular_scale": 100.0},
                   "use_global": True},  # the event's own inputs, as PET2 (conditional) and the ViT get them
        "jets": {"stream": "particles"},
    },
    "CondOnlyMLP": {"events": {}, "jets": {}},
}  # fmt: skip


def run_config(
    model_id: str, sample: str, task: str, data_dir: Path, run_dir: Path, overrides: dict[str, Any]
) -> dict:
    """The full training config of one grid entry."""
    model_id = canonical(model_id)
    if (sample, task) not in TASKS:
        msg = f"Task '{task}' is not defined for sample '{sample}'; choose from {sorted(TASKS)}."
        raise ValueError(msg)
    cfg = yaml.safe_load((ROOT / "configs" / MODELS[model_id].config).read_text())
    data = yaml.safe_load((ROOT / "configs" / SAMPLE_CONFIG[sample]).read_text())["data"]
    for key in ("train_file", "val_file", "test_file"):
        data[key] = str(data_dir / sample / Path(data[key]).name)
    data["norm_dict"] = str(data_dir / sample / "norm_dict.yaml")
    data["class_dict"] = str(data_dir / sample / "class_dict.yaml")
    data.update(overrides.get("data", {}))
    cfg["data"] = data
    backbone = cfg["model"]["model"]["init_args"]["backbone"]
    kind = backbone["class_path"].rsplit(".", 1)[1]
    backbone.setdefault("init_args", {}).update(copy.deepcopy(BACKBONE_ARGS[kind][sample]))
    cfg["model"]["model"]["init_args"]["tasks"] = [copy.deepcopy(TASKS[(sample, task)])]
    cfg["name"] = model_id.replace("-", "_")
    cfg["trainer"] = {
        **cfg.get("trainer", {}),
        "default_root_dir": str(run_dir / "logs"),
        **overrides.get("trainer", {}),
    }
    return cfg


def ensure_data(data_dir: Path, sample: str, sizes: tuple[int, int, int]) -> None:
    """Generate the sample and its norm/class dicts under ``data_dir/sample`` when missing."""
    from halite.data.prep import compute_class_dict, compute_norm_dict
    from halite.data.synthetic_points import write_sample_splits

    out = data_dir / sample
    if not (out / "train.h5").is_file():
        write_sample_splits(out, sample, *sizes)
    if not (out / "norm_dict.yaml").is_file():
        data = yaml.safe_load((ROOT / "configs" / SAMPLE_CONFIG[sample]).read_text())["data"]
        write_yaml(out / "norm_dict.yaml", compute_norm_dict(out / "train.h5", data["variables"]))
        label = {"events": {"events": ["pion_class"]}, "jets": {"jets": ["is_top"]}}[sample]
        write_yaml(out / "class_dict.yaml", compute_class_dict(out / "train.h5", label))


def halite(*args: str) -> list[str]:
    return [sys.executable, "-m", "halite", *args]


def metrics(pred: Path, name: str, sample: str, task: str) -> dict[str, float]:
    """The comparison metrics of one predictions file."""
    glob = "events" if sample == "events" else "jets"
    with h5py.File(pred, "r") as f:
        arr = f[glob][:]
    if task == "regression":
        true, reco = (
            arr["available_energy"].astype(np.float64),
            arr[f"{name}_available_energy"].astype(np.float64),
        )
        ok = true > 0.05
        q25, q50, q75 = np.percentile(reco[ok] / true[ok], [25, 50, 75])
        return {"median_response": float(q50), "resolution": float(0.5 * (q75 - q25) / q50)}
    if sample == "events":
        probs = np.stack([arr[f"{name}_p{c}"] for c in ("0pi", "1pi", "2pi+")], 1)
        return {"accuracy": float((probs.argmax(1) == arr["pion_class"]).mean())}
    y, p = arr["is_top"] == 1, arr[f"{name}_ptop"].astype(np.float64)
    return {
        "auc": roc_auc(p, y),
        "rejection_at_30": rejection_at(p[y], p[~y], 0.3)[0],
        "rejection_at_50": rejection_at(p[y], p[~y], 0.5)[0],
    }


def run_one(cfg: dict, run_dir: Path, pretrained: Path | None) -> dict[str, Any]:
    """Fit then test one config in subprocesses; return its measurements."""
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = run_dir / "config.yaml"
    write_yaml(cfg_path, cfg)
    extra = ["--model.pretrained", str(pretrained)] if pretrained else []
    t0 = time.perf_counter()
    subprocess.run(halite("fit", "--config", str(cfg_path), *extra), check=True, cwd=ROOT)
    train_time = time.perf_counter() - t0
    (fit_dir,) = sorted((run_dir / "logs").glob(f"{cfg['name']}_*"))[-1:]
    subprocess.run(halite("test", "--config", str(fit_dir / "config.yaml")), check=True, cwd=ROOT)
    (pred,) = list((fit_dir / "predictions").glob("*.h5"))
    from halite.training.checkpoint_io import safe_load_weights

    weights = safe_load_weights(sorted((fit_dir / "ckpts").glob("epoch=*.ckpt"))[-1])
    params = sum(v.numel() for k, v in weights.items() if not k.startswith("model.norms."))
    return {
        "run_dir": str(fit_dir),
        "predictions": str(pred),
        "parameters": int(params),
        "train_time_s": train_time,
    }


def write_table(results: list[dict[str, Any]], out: Path, title: str) -> Path:
    """Markdown + JSON + PNG comparison of the grid's results."""
    keys = [k for k in results[0]["metrics"]] if results else []
    lines = [f"# {title}", "", "| model | " + " | ".join(keys) + " | parameters | train time [s] |",
             "|---|" + "---|" * (len(keys) + 2)]  # fmt: skip
    for r in results:
        vals = " | ".join(f"{r['metrics'][k]:.4g}" for k in keys)
        lines.append(f"| {r['model']} | {vals} | {r['parameters']:,} | {r['train_time_s']:.0f} |")
    md = out / "results.md"
    with atomic_path(md) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    with atomic_path(out / "results.json") as tmp:
        tmp.write_text(json.dumps(results, indent=2))
    if results and keys:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for r in results:
            ax.scatter(r["parameters"], r["metrics"][keys[-1] if "resolution" in keys else keys[0]], s=40)
            ax.annotate(
                r["model"],
                (r["parameters"], r["metrics"][keys[-1] if "resolution" in keys else keys[0]]),
                fontsize=8,
            )
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel(keys[-1] if "resolution" in keys else keys[0])
        ax.set_title(title)
        with atomic_path(out / "results.png") as tmp:
            fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
    return md


SLURM = """#!/bin/bash
#SBATCH --job-name=halite-{name}
#SBATCH --nodes=1
#SBATCH --gpus-per-node=1
#SBATCH --time={hours}:00:00
#SBATCH --output={run_dir}/slurm-%j.out
cd {root}
srun {python} -m halite fit --config {config} {extra}
srun {python} -m halite test --config $(ls -td {run_dir}/logs/{name}_* | head -1)/config.yaml
"""


def write_job(cfg: dict, run_dir: Path, pretrained: Path | None) -> Path:
    """Write ``config.yaml`` and a SLURM script ``job.slurm`` (fit then test) into ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    write_yaml(run_dir / "config.yaml", cfg)
    extra = "--trainer.accelerator=gpu" + (f" --model.pretrained {pretrained}" if pretrained else "")
    script = SLURM.format(
        name=cfg["name"],
        hours=4,
        run_dir=run_dir,
        root=ROOT,
        python=sys.executable,
        config=run_dir / "config.yaml",
        extra=extra,
    )
    with atomic_path(run_dir / "job.slurm") as tmp:
        tmp.write_text(script)
    return run_dir / "job.slurm"


def collect_run(cfg: dict, run_dir: Path) -> dict[str, Any] | None:
    """The measurements of a finished (submitted) run in ``run_dir``, or None when none has finished."""
    runs = sorted((run_dir / "logs").glob(f"{cfg['name']}_*"))
    preds = list((runs[-1] / "predictions").glob("*.h5")) if runs else []
    if not preds:
        return None
    return {
        "run_dir": str(runs[-1]),
        "predictions": str(preds[0]),
        "parameters": -1,
        "train_time_s": float("nan"),
    }
