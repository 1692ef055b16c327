"""halite vs salt 0.13, side by side: loader, training and inference jets/s and peak RSS.

Usage: python bench/vs_salt.py [--reps 3] [--threads 2] [--num-jets 20000]

Installs ``salt-ml==0.13.0`` into ``bench/.venv-salt`` (``--no-deps`` plus the packages it
imports, keeping ``torch==2.13.0``), writes one salt-layout dataset with ``halite synth``'s
generator and runs salt and halite alternately, each measurement in a fresh process with
the same data, model (``configs/GN2.yaml`` sizes, jet-flavour and track-origin tasks), batch size
and torch thread count.
Prints medians and the ratios halite/salt. Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SALT_VENV = ROOT / "bench" / ".venv-salt"
SALT_PY = SALT_VENV / "bin" / "python"
DATA = ROOT / "bench" / "data"
#: what salt 0.13 imports for datasets, models and the Lightning wrapper (its pins on torch,
#: comet_ml, puma-hep, umami-preprocessing are for features not benchmarked here)
SALT_DEPS = [
    "lightning==2.6.1",
    "lightning-utilities",
    "torchmetrics==1.8.2",
    "jsonargparse[signatures]>=4.32.0",
    "h5py",
    "hdf5plugin",
    "numpy",
    "pyyaml",
    "scipy",
    "pandas",
    "python-dateutil",
    "pytz",
    "tzdata",
    "six",
    "packaging",
    "tqdm",
    "rich",
    "filelock",
    "lion-pytorch",
]
TRACK_VARS = [
    "d0", "z0SinTheta", "dphi", "deta", "qOverP", "IP3D_signed_d0_significance",
    "IP3D_signed_z0_significance", "phiUncertainty", "thetaUncertainty", "qOverPUncertainty",
    "numberOfPixelHits", "numberOfSCTHits", "numberOfInnermostPixelLayerHits",
    "numberOfNextToInnermostPixelLayerHits", "numberOfInnermostPixelLayerSharedHits",
    "numberOfInnermostPixelLayerSplitHits", "numberOfPixelSharedHits", "numberOfPixelSplitHits",
    "numberOfSCTSharedHits", "leptonID",
]  # fmt: skip
VARIABLES = {"jets": ["pt_btagJes", "eta_btagJes"], "tracks": TRACK_VARS}
LABELS = {"jets": ["flavour_label"], "tracks": ["ftagTruthOriginLabel"]}


def ensure_salt() -> None:
    """Create ``bench/.venv-salt`` with salt 0.13 on torch 2.13.0 unless it already imports salt."""
    check = [str(SALT_PY), "-c", "import salt.modelwrapper, salt.data, salt.models"]
    if SALT_PY.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return
    print(f"installing salt-ml==0.13.0 into {SALT_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(SALT_VENV)], check=True)
    pip = [str(SALT_PY), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "--no-deps", "salt-ml==0.13.0", "atlas-ftag-tools==0.3.3"], check=True)
    subprocess.run([*pip, "--no-deps", *SALT_DEPS], check=True)
    res = subprocess.run(check, capture_output=True, text=True)
    if res.returncode:
        msg = f"salt does not import in {SALT_VENV}:\n{res.stderr[-2000:]}"
        raise RuntimeError(msg)


def make_data(num_jets: int, num_test: int) -> dict[str, Path]:
    """Write train/test files in salt's layout plus norm and class dicts (reused when present)."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from halite.data.prep import compute_class_dict, compute_norm_dict
    from halite.data.synthetic import write_file

    DATA.mkdir(parents=True, exist_ok=True)
    paths = {
        "train": DATA / f"vs_salt_train_{num_jets}.h5",
        "test": DATA / f"vs_salt_test_{num_test}.h5",
        "norm_dict": DATA / f"vs_salt_norm_{num_jets}.yaml",
        "class_dict": DATA / f"vs_salt_class_{num_jets}.yaml",
    }
    if not paths["train"].exists():
        write_file(paths["train"], num_jets, seed=11)
    if not paths["test"].exists():
        write_file(paths["test"], num_test, seed=12)
    if not paths["norm_dict"].exists():
        paths["norm_dict"].write_text(yaml.safe_dump(compute_norm_dict(paths["train"], VARIABLES)))
        paths["class_dict"].write_text(yaml.safe_dump(compute_class_dict(paths["train"], LABELS)))
    return paths


def gn2_config() -> Path:
    """``configs/GN2.yaml`` with the jet-flavour and track-origin tasks only (the benchmarked model)."""
    import yaml

    cfg = yaml.safe_load((ROOT / "configs" / "GN2.yaml").read_text())
    tasks = cfg["model"]["model"]["init_args"]["tasks"]
    cfg["model"]["model"]["init_args"]["tasks"] = [
        t for t in tasks if t["init_args"]["name"] in ("jets_classification", "track_origin")
    ]
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "GN2_jets_tracks.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


# ----------------------------------------------------------------------------- workers
class Clock:
    """Wall-clock and process CPU seconds of a ``with`` block (CPU time is less sensitive to other load)."""

    def __enter__(self) -> Clock:
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0

    def rates(self, out: dict, key: str, n: int) -> None:
        """Store ``n / wall`` as ``out[key]`` and ``n / cpu`` as ``out[key + '_cpu']``."""
        out[key], out[f"{key}_cpu"] = n / self.wall, n / self.cpu


def timed_training(step: Any, batches: list, size: Any, out: dict) -> None:
    """jets/s of ``step`` over ``batches`` after one warm-up step, into ``out['train']``."""
    step(batches[0])
    with Clock() as clock:
        for b in batches:
            step(b)
    clock.rates(out, "train", sum(size(b) for b in batches))


def salt_worker(cfg: dict) -> dict:
    import numpy as np
    import torch
    import yaml
    from salt.data.datamodules import SaltDataModule
    from salt.data.datasets import SaltDataset
    from salt.models import ClassificationTask, GlobalAttentionPooling, SaltModel, Transformer
    from salt.modelwrapper import ModelWrapper

    torch.manual_seed(0)
    torch.set_num_threads(cfg["threads"])
    p = cfg["paths"]
    common = {
        "norm_dict": p["norm_dict"], "variables": VARIABLES, "labels": LABELS,
        "global_object": "jets", "num_inputs": {"tracks": 40},
    }  # fmt: skip
    dm = SaltDataModule(
        p["train"], p["train"], cfg["batch_size"], cfg["workers"], -1, -1, -1,
        pin_memory=False, **common,
    )  # fmt: skip

    def loader(path: str, stage: str, num: int, shuffle: bool) -> Any:
        return dm.get_dataloader(stage, SaltDataset(path, stage=stage, num=num, **common), shuffle)

    out: dict[str, float] = {}
    with Clock() as clock:
        n = sum(len(b[0]["jets"]) for b in loader(p["train"], "fit", -1, True))
    clock.rates(out, "loader", n)

    class_w = yaml.safe_load(Path(p["class_dict"]).read_text())["jets"]["flavour_label"]
    head = {"hidden_layers": [128, 64, 32], "activation": "ReLU", "input_size": 128}
    model = SaltModel(
        init_nets=[{
            "input_name": "tracks", "variables": VARIABLES, "global_object": "jets",
            "dense_config": {"output_size": 256, "hidden_layers": [256], "activation": "ReLU"},
        }],
        encoder=Transformer(
            num_layers=4, embed_dim=256, out_dim=128, attn_type=cfg["salt_attn"],
            attn_kwargs={"num_heads": 8}, dense_kwargs={"activation": "SiLU"},
        ),
        pool_net=GlobalAttentionPooling(128),
        tasks=torch.nn.ModuleList([
            ClassificationTask(
                name="jets_classification", input_name="jets", label="flavour_label",
                class_names=cfg["classes"]["flavour_label"],
                loss=torch.nn.CrossEntropyLoss(weight=torch.tensor(class_w, dtype=torch.float32)),
                dense_config={**head, "output_size": len(cfg["classes"]["flavour_label"])},
            ),
            ClassificationTask(
                name="track_origin", input_name="tracks", label="ftagTruthOriginLabel", weight=0.5,
                class_names=cfg["classes"]["ftagTruthOriginLabel"], loss=torch.nn.CrossEntropyLoss(),
                dense_config={
                    **head, "output_size": len(cfg["classes"]["ftagTruthOriginLabel"]), "context_size": 128
                },
            ),
        ]),
    )  # fmt: skip
    wrapper = ModelWrapper(
        model, lrs_config={}, global_object="jets",
        norm_config={"norm_dict": p["norm_dict"], "variables": VARIABLES, "global_object": "jets",
                     "input_map": {"jets": "jets", "tracks": "tracks"}},
    )  # fmt: skip
    out["params"] = sum(q.numel() for q in wrapper.parameters())
    opt = torch.optim.AdamW(wrapper.parameters(), lr=1e-4)

    def step(batch: Any) -> None:
        inputs, masks, labels = batch
        _, losses = wrapper(inputs, dict(masks), labels)
        wrapper.total_loss(losses).backward()
        opt.step()
        opt.zero_grad()

    wrapper.train()
    batches = list(loader(p["train"], "fit", cfg["num_train"], True))
    timed_training(step, batches, lambda b: len(b[0]["jets"]), out)
    out["train_slots"] = float(np.mean([b[1]["tracks"].shape[1] for b in batches]))

    wrapper.eval()
    n = 0
    with Clock() as clock, torch.inference_mode():
        for inputs, masks, _ in loader(p["test"], "test", -1, False):
            wrapper(inputs, dict(masks), None)
            n += len(inputs["jets"])
    clock.rates(out, "infer", n)
    out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def halite_worker(cfg: dict) -> dict:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import torch

    from halite.cli import HaliteCLI
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel

    torch.manual_seed(0)
    torch.set_num_threads(cfg["threads"])
    p = cfg["paths"]
    args = [
        f"--config={gn2_config()}",
        f"--data.train_file={p['train']}",
        f"--data.val_file={p['train']}",
        f"--data.test_file={p['test']}",
        f"--data.norm_dict={p['norm_dict']}",
        f"--data.class_dict={p['class_dict']}",
        f"--data.batch_size={cfg['batch_size']}",
        f"--data.num_workers={cfg['workers']}",
        "--data.pin_memory=false",
    ]
    cli = HaliteCLI(LitModel, JetDataModule, args=args, run=False)
    lit, dm = cli.model, cli.datamodule
    dm.require_labels(lit.model.required_labels())
    out: dict[str, float] = {}
    with Clock() as clock:
        n = sum(b.batch_size for b in dm.train_dataloader())
    clock.rates(out, "loader", n)
    out["params"] = sum(q.numel() for q in lit.parameters())
    opt = torch.optim.AdamW(lit.parameters(), lr=1e-4)

    def step(batch: Any) -> None:
        _, losses = lit(batch)
        lit.model.total_loss(losses).backward()
        opt.step()
        opt.zero_grad()

    lit.train()
    dm.num_train = cfg["num_train"]
    batches = list(dm.train_dataloader())
    timed_training(step, batches, lambda b: b.batch_size, out)
    out["train_slots"] = float(np.mean([b.pad_masks["tracks"].shape[1] for b in batches]))

    lit.eval()
    n = 0
    with Clock() as clock, torch.inference_mode():
        for b in dm.test_dataloader():
            lit.model(b.inputs, b.pad_masks)
            n += b.batch_size
    clock.rates(out, "infer", n)
    out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# ----------------------------------------------------------------------------- driver
def run_worker(framework: str, cfg: dict) -> dict:
    py = str(SALT_PY) if framework == "salt" else sys.executable
    cmd = [py, str(Path(__file__).resolve()), "--worker", framework, "--worker-config", json.dumps(cfg)]
    env = {**os.environ, "OMP_NUM_THREADS": str(cfg["threads"]), "PYTHONWARNINGS": "ignore"}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT))
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    if res.returncode or not lines:
        msg = f"{framework} worker failed (exit {res.returncode}):\n{res.stderr[-3000:]}"
        raise RuntimeError(msg)
    return json.loads(lines[-1][len("RESULT ") :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="alternating runs per framework (medians)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--num-jets", type=int, default=20_000, help="jets in the loader file")
    ap.add_argument("--num-train", type=int, default=6_000, help="jets in the timed training pass")
    ap.add_argument("--num-test", type=int, default=5_000, help="jets in the inference file")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=0, help="loader worker processes (both)")
    ap.add_argument("--salt-attn", default="torch-flash", help="salt attention backend on CPU")
    ap.add_argument("--worker", choices=["salt", "halite"], help=argparse.SUPPRESS)
    ap.add_argument("--worker-config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        cfg = json.loads(args.worker_config)
        result = (salt_worker if args.worker == "salt" else halite_worker)(cfg)
        print("RESULT " + json.dumps(result), flush=True)
        return

    ensure_salt()
    paths = make_data(args.num_jets, args.num_test)
    from halite.data.specs import KNOWN_CLASS_NAMES

    cfg = {
        "paths": {k: str(v) for k, v in paths.items()},
        "threads": args.threads,
        "batch_size": args.batch_size,
        "workers": args.workers,
        "num_train": args.num_train,
        "salt_attn": args.salt_attn,
        "classes": {lab: KNOWN_CLASS_NAMES[lab] for labs in LABELS.values() for lab in labs},
    }
    print(
        f"salt 0.13.0 vs halite | {args.threads} torch threads, batch {args.batch_size}, "
        f"{args.workers} loader workers, loader file {args.num_jets} jets, training pass "
        f"{args.num_train} jets (+1 warm-up batch), inference file {args.num_test} jets, "
        f"{args.reps} alternating reps",
        flush=True,
    )
    results: dict[str, list[dict]] = {"salt": [], "halite": []}
    for rep in range(args.reps):
        order = ["salt", "halite"] if rep % 2 == 0 else ["halite", "salt"]
        for fw in order:
            r = run_worker(fw, cfg)
            results[fw].append(r)
            print(
                f"  rep {rep} {fw:6s}: loader {r['loader']:9.0f}  train {r['train']:7.1f}  "
                f"infer {r['infer']:7.1f} jets/s  rss {r['rss']:6.0f} MiB  "
                f"(mean padded slots in training {r['train_slots']:.1f})",
                flush=True,
            )
    med = {fw: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for fw, rs in results.items()}
    print(f"\nparameters: salt {med['salt']['params']:,.0f}, halite {med['halite']['params']:,.0f}")
    print(f"{'median':26s} {'salt':>10s} {'halite':>10s} {'halite/salt':>12s}")
    rows = [
        ("data loader  [jets/s]", "loader"),
        ("training     [jets/s]", "train"),
        ("inference    [jets/s]", "infer"),
        ("peak RSS     [MiB]", "rss"),
        ("data loader  [jets/CPU-s]", "loader_cpu"),
        ("training     [jets/CPU-s]", "train_cpu"),
        ("inference    [jets/CPU-s]", "infer_cpu"),
    ]
    for label, key in rows:
        s, h = med["salt"][key], med["halite"][key]
        print(f"{label:26s} {s:10.1f} {h:10.1f} {h / s:11.2f}x")
    print("jets/s: wall clock; jets/CPU-s: per second of process CPU time (all threads), less")
    print("sensitive to other load on the machine.")


if __name__ == "__main__":
    main()
