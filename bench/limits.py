"""Machine limits for GN2 and how close halite gets: fp32 matmul GFLOP/s, FLOPs per jet, h5py read rate.

Usage: python bench/limits.py [--threads 2] [--num-jets 20000] [--batch-size 1000]

1. attainable fp32 matmul GFLOP/s (``torch.mm`` at the shapes GN2 uses, best of repeats);
2. the model's FLOPs per jet (``torch.utils.flop_counter``): halite's packed computation
   over valid constituents, and the same model over every padded slot (what a dense
   implementation such as salt's does), forward and forward + backward;
3. raw h5py read rate of the file (native structured dtype, no conversion, block reads)
   against halite's loader (conversion, shuffling, bucketing, trimming included); per storage
   layout (contiguous, LZ4, Zstandard) and number of loader workers: ``bench/loader.py``;
4. halite's measured training jets/s as a fraction of the compute limit.
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel


def matmul_gflops(repeats: int = 5) -> dict[str, tuple[float, float]]:
    """Best fp32 GFLOP/s of ``torch.mm`` per shape (tokens x in) @ (in x out): (wall, CPU-time based).

    The CPU-time rate is FLOPs per process CPU-second times the thread count: what the
    threads deliver when the cores are not shared with other processes.
    """
    shapes = {"10000x256 @ 256x512": (10_000, 256, 512), "10000x512 @ 512x256": (10_000, 512, 256)}
    shapes["2048x2048 @ 2048x2048"] = (2048, 2048, 2048)
    out = {}
    threads = torch.get_num_threads()
    for name, (m, k, n) in shapes.items():
        a, b = torch.randn(m, k), torch.randn(k, n)
        torch.mm(a, b)
        wall, cpu = float("inf"), float("inf")
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            torch.mm(a, b)
            wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        flops = 2 * m * k * n
        out[name] = (flops / wall / 1e9, flops / (cpu / threads) / 1e9)
    return out


def build(paths: dict[str, Path], batch_size: int) -> tuple[LitModel, JetDataModule]:
    """The GN2 config's LitModel and data module on ``paths`` (no loader workers)."""
    from bench.vs_salt import gn2_config
    from halite.cli import HaliteCLI
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel

    args = [
        f"--config={gn2_config()}",
        f"--data.train_file={paths['train']}",
        f"--data.val_file={paths['train']}",
        f"--data.test_file={paths['test']}",
        f"--data.norm_dict={paths['norm_dict']}",
        f"--data.class_dict={paths['class_dict']}",
        f"--data.batch_size={batch_size}",
        "--data.num_workers=0",
        "--data.pin_memory=false",
    ]
    cli = HaliteCLI(LitModel, JetDataModule, args=args, run=False)
    cli.datamodule.require_labels(cli.model.model.required_labels())
    return cli.model, cli.datamodule


def flops_per_jet(lit: LitModel, batch: Any, backward: bool) -> float:
    """FLOPs per jet of one forward (and backward) pass on ``batch``."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        _, losses = lit(batch)
        if backward:
            lit.model.total_loss(losses).backward()
    lit.zero_grad()
    return counter.get_total_flops() / batch.batch_size


def untrimmed(batch: Any, width: int) -> Any:
    """``batch`` with constituent streams padded back to ``width`` slots."""
    pad = {k: width - m.shape[1] for k, m in batch.pad_masks.items()}
    inputs = {
        k: torch.nn.functional.pad(v, (0, 0, 0, pad[k])) if k in pad else v for k, v in batch.inputs.items()
    }
    masks = {k: torch.nn.functional.pad(m, (0, pad[k]), value=True) for k, m in batch.pad_masks.items()}
    labels = {
        s: {k: torch.nn.functional.pad(v, (0, pad[s]), value=-1) if s in pad else v for k, v in d.items()}
        for s, d in batch.labels.items()
    }
    return type(batch)(inputs, masks, labels)


def h5py_read_rate(path: Path, block: int) -> float:
    """jets/s reading every dataset of ``path`` in native dtype, ``block`` jets at a time."""
    with h5py.File(path, "r") as f:
        n = len(f["jets"])
        t0 = time.perf_counter()
        for s in range(0, n, block):
            for name in f:
                f[name][s : s + block]
        return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--num-jets", type=int, default=20_000)
    ap.add_argument("--num-test", type=int, default=5_000)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--train-batches", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    from bench.vs_salt import make_data
    from halite.training.module import LitModel

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    paths = make_data(args.num_jets, args.num_test)
    lit, dm = build(paths, args.batch_size)
    with h5py.File(paths["train"], "r") as f:
        slots = f["tracks"].shape[1]
        valid_mean = float(f["tracks"]["valid"][: args.batch_size * 10].sum(1).mean())

    print(
        f"limits | {torch.get_num_threads()} torch threads, GN2 ({sum(p.numel() for p in lit.parameters()):,} parameters)"
    )
    gf = matmul_gflops()
    for name, (w, c) in gf.items():
        print(f"  fp32 matmul {name:24s}: {w:8.1f} GFLOP/s wall, {c:8.1f} GFLOP/s per CPU time")
    peak, peak_cpu = max(w for w, _ in gf.values()), max(c for _, c in gf.values())

    # FLOPs on the same jets: halite (trimmed, packed) and dense over all slots
    batch = next(iter(dm.test_dataloader()))
    dense = LitModel(lit.model, name="dense")
    lit.train()
    fwd, train = flops_per_jet(lit, batch, False), flops_per_jet(lit, batch, True)
    lit.model.packed = lit.model.encoder.packed = False
    full = untrimmed(batch, slots)
    fwd_dense, train_dense = flops_per_jet(dense, full, False), flops_per_jet(dense, full, True)
    lit.model.packed = lit.model.encoder.packed = True
    print(f"  constituents: {valid_mean:.1f} valid of {slots} slots per jet on average")
    print(
        f"  FLOPs/jet forward         : halite {fwd / 1e6:8.1f} M   dense over all slots {fwd_dense / 1e6:8.1f} M"
    )
    print(
        f"  FLOPs/jet forward+backward: halite {train / 1e6:8.1f} M   dense over all slots {train_dense / 1e6:8.1f} M"
    )

    # halite training throughput vs the compute limit
    opt = torch.optim.AdamW(lit.parameters(), lr=1e-4)
    it = iter(dm.train_dataloader())
    batches = [next(it) for _ in range(args.train_batches + 1)]

    def step(b: Any) -> None:
        _, losses = lit(b)
        lit.model.total_loss(losses).backward()
        opt.step()
        opt.zero_grad()

    step(batches[0])
    t0, c0 = time.perf_counter(), time.process_time()
    for b in batches[1:]:
        step(b)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = sum(b.batch_size for b in batches[1:])
    threads = torch.get_num_threads()
    limit, limit_cpu = peak * 1e9 / train, peak_cpu * 1e9 / train
    rate, rate_cpu = n / wall, n / (cpu / threads)
    print(f"  training compute limit (best matmul rate / FLOPs per jet): {limit:8.0f} jets/s wall")
    print(f"  halite training: {rate:8.0f} jets/s wall = {rate / limit:5.1%} of the limit")
    print(
        f"  per CPU time   : {rate_cpu:8.0f} jets/s of {limit_cpu:.0f} = {rate_cpu / limit_cpu:5.1%} of the limit "
        f"(rates per process CPU-second x {threads} threads: insensitive to other load)"
    )

    # loader vs raw h5py: bench/loader.py's measurement (warm loader, alternating epochs)
    from bench.loader import measure

    r = measure(paths["train"], args.batch_size, 0, args.reps)
    size_mb = paths["train"].stat().st_size / 2**20
    print(
        f"  raw h5py read (all fields, native dtype): {r['raw']:9.0f} jets/s "
        f"({r['raw'] * size_mb / args.num_jets:.0f} MiB/s)"
    )
    print(
        f"  halite loader (training mode, in-process): {r['loader']:9.0f} jets/s = {r['ratio']:5.1%} of the raw "
        f"read rate (target 50%); CPU-time ratio {r['cpu_ratio']:5.1%}"
    )
    print(f"  medians of {args.reps}; loader file {args.num_jets} jets, {size_mb:.0f} MiB")
    print("  per layout (LZ4 / Zstandard) and loader workers: python bench/loader.py")


if __name__ == "__main__":
    main()
