"""Training throughput: eager vs torch.compile, and 1 vs 2 DDP processes (CPU gloo or GPUs).

Usage: python bench/scale.py [--modes eager compiled ddp2] [--num-jets 6000] [--batch-size 250]
           [--config configs/demo.yaml] [--accelerator cpu] [--threads 2]
Each mode is a real `halite fit` (one epoch) in a subprocess; jets/s counts the training
batches after a warm-up (which holds the compilation), summed over ranks for DDP. Prints numbers;
never part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from halite.data.prep import compute_class_dict, compute_norm_dict  # noqa: E402
from halite.data.synthetic import write_file  # noqa: E402


def make_data(tmp: Path, num_jets: int, config: dict) -> dict[str, str]:
    train, val = tmp / "train.h5", tmp / "val.h5"
    write_file(train, num_jets, seed=1)
    write_file(val, max(500, num_jets // 10), seed=2)
    (tmp / "norm.yaml").write_text(yaml.safe_dump(compute_norm_dict(train, config["data"]["variables"])))
    cd = compute_class_dict(train, {"jets": ["flavour_label"], "tracks": ["ftagTruthOriginLabel"]})
    (tmp / "class.yaml").write_text(yaml.safe_dump(cd))
    return {
        "train": str(train),
        "val": str(val),
        "norm": str(tmp / "norm.yaml"),
        "class": str(tmp / "class.yaml"),
    }


def run_mode(mode: str, args: argparse.Namespace, data: dict[str, str], tmp: Path) -> dict:
    out = tmp / mode
    procs = 2 if mode.startswith("ddp") else 1
    threads = max(1, args.threads // procs)
    cmd = [
        sys.executable,
        "-m",
        "halite",
        "fit",
        f"--config={args.config}",
        f"--data.train_file={data['train']}",
        f"--data.val_file={data['val']}",
        f"--data.test_file={data['val']}",
        f"--data.norm_dict={data['norm']}",
        f"--data.class_dict={data['class']}",
        f"--data.batch_size={args.batch_size}",
        "--data.num_workers=0",
        "--data.num_val=500",
        "--trainer.max_epochs=1",
        f"--trainer.accelerator={args.accelerator}",
        "--trainer.enable_progress_bar=false",
        f"--trainer.default_root_dir={tmp / 'logs'}",
        "--trainer.callbacks+=step_timer.StepTimer",
        f"--trainer.callbacks.out_dir={out}",
        f"--trainer.callbacks.warmup={args.warmup}",
    ]
    if mode == "compiled":
        cmd += ["--compile", *args.compile_args]
    if procs > 1:
        cmd += [f"--trainer.devices={procs}", "--trainer.strategy=ddp"]
    else:
        cmd.append("--trainer.devices=1")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}", "OMP_NUM_THREADS": str(threads)}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        print(proc.stderr[-3000:])
        raise SystemExit(f"mode {mode} failed")
    ranks = [json.loads(p.read_text()) for p in sorted(out.glob("rank*.json"))]
    jets = sum(r["jets"] for r in ranks)
    seconds = max(r["seconds"] for r in ranks)
    return {
        "mode": mode,
        "processes": procs,
        "threads/proc": threads,
        "jets/s": jets / seconds,
        "warmup_s": max(r["warmup_seconds"] for r in ranks),
        "wall_s": wall,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "demo.yaml")
    ap.add_argument("--modes", nargs="+", default=["eager", "compiled", "ddp2"])
    ap.add_argument("--num-jets", type=int, default=6000)
    ap.add_argument("--batch-size", type=int, default=250)
    ap.add_argument("--warmup", type=int, default=3, help="untimed batches per rank (compilation)")
    ap.add_argument("--accelerator", default="cpu")
    ap.add_argument(
        "--compile-args",
        nargs="*",
        default=[],
        help="e.g. --model.compile_config.dynamic=null (no leading --)",
    )
    ap.add_argument(
        "--threads", type=int, default=os.cpu_count() or 1, help="torch threads over all processes"
    )
    args = ap.parse_args()
    args.compile_args = [a if a.startswith("--") else f"--{a}" for a in args.compile_args]
    config = yaml.safe_load(args.config.read_text())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = make_data(tmp, args.num_jets, config)
        print(f"{args.config.name}: {args.num_jets} jets, batch {args.batch_size}, {args.accelerator}")
        for mode in args.modes:
            r = run_mode(mode, args, data, tmp)
            print(
                f"{r['mode']:>9s}: {r['processes']} proc x {r['threads/proc']} threads  {r['jets/s']:9.0f} jets/s"
                f"  (warm-up {r['warmup_s']:.1f} s, wall {r['wall_s']:.1f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
