"""Throughput of the data loader alone, training and inference for a config (default GN2).

Usage: python bench/throughput.py [--config configs/GN2.yaml] [--num-jets 40000] [--batch-size 1000]
Prints jets/s; never part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from halite.cli import HaliteCLI  # noqa: E402
from halite.data.datamodule import JetDataModule  # noqa: E402
from halite.data.prep import compute_class_dict, compute_norm_dict  # noqa: E402
from halite.data.synthetic import write_file  # noqa: E402
from halite.training.module import LitModel  # noqa: E402


def build(config: Path, data_dir: Path, num_jets: int, batch_size: int, workers: int) -> HaliteCLI:
    cfg = yaml.safe_load(config.read_text())
    train = data_dir / "bench.h5"
    if not train.exists():
        write_file(train, num_jets, seed=123)
    norm = compute_norm_dict(train, cfg["data"]["variables"])
    (data_dir / "norm.yaml").write_text(yaml.safe_dump(norm))
    cd = compute_class_dict(train, {"jets": ["flavour_label"], "tracks": ["ftagTruthOriginLabel"]})
    (data_dir / "class.yaml").write_text(yaml.safe_dump(cd))
    args = [
        f"--config={config}",
        f"--data.train_file={train}",
        f"--data.val_file={train}",
        f"--data.test_file={train}",
        f"--data.norm_dict={data_dir / 'norm.yaml'}",
        f"--data.class_dict={data_dir / 'class.yaml'}",
        f"--data.batch_size={batch_size}",
        f"--data.num_workers={workers}",
    ]
    return HaliteCLI(LitModel, JetDataModule, args=args, run=False)


def rate(n_jets: int, seconds: float) -> str:
    return f"{n_jets / seconds:10.0f} jets/s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "GN2.yaml")
    ap.add_argument("--num-jets", type=int, default=40_000)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--train-batches", type=int, default=10)
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        cli = build(args.config, data_dir, args.num_jets, args.batch_size, args.workers)
        lit, dm = cli.model, cli.datamodule
        dm.require_labels(lit.model.required_labels())

        # 1. loader alone (one full pass, training mode: shuffled + bucketed)
        loader = dm.train_dataloader()
        t0 = time.perf_counter()
        n = sum(b.batch_size for b in loader)
        t_load = time.perf_counter() - t0
        print(
            f"config {args.config.name}: {sum(p.numel() for p in lit.parameters()):,} parameters, "
            f"{torch.get_num_threads()} threads, batch {args.batch_size}, {args.workers} worker(s)"
        )
        print(f"data loader : {rate(n, t_load)}  ({n} jets in {t_load:.2f} s)")

        # 2. training steps after warm-up
        opt = torch.optim.AdamW(lit.parameters(), lr=1e-4)
        lit.train()
        it = iter(dm.train_dataloader())
        batches = [next(it) for _ in range(args.train_batches + 2)]
        for b in batches[:2]:
            _, losses = lit(b)
            lit.model.total_loss(losses).backward()
            opt.step()
            opt.zero_grad()
        t0 = time.perf_counter()
        for b in batches[2:]:
            _, losses = lit(b)
            lit.model.total_loss(losses).backward()
            opt.step()
            opt.zero_grad()
        t_train = time.perf_counter() - t0
        n_train = sum(b.batch_size for b in batches[2:])
        print(f"training    : {rate(n_train, t_train)}  ({n_train} jets)")

        # 3. inference over the test loader (loader included, as in `halite test`)
        lit.eval()
        t0 = time.perf_counter()
        n_inf = 0
        with torch.inference_mode():
            for b in dm.test_dataloader():
                lit.model(b.inputs, b.pad_masks)
                n_inf += b.batch_size
        t_inf = time.perf_counter() - t0
        print(f"inference   : {rate(n_inf, t_inf)}  ({n_inf} jets, loader included)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS    : {peak:.0f} MiB")


if __name__ == "__main__":
    main()
