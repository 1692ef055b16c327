"""Peak RSS of halite training vs file size: the loader streams, so 10x the file is not 10x the memory.

Usage: python bench/memory.py [--num-jets 20000] [--factor 10]

For files of ``num_jets`` and ``factor * num_jets`` jets (salt layout), a fresh process
makes one full pass of the training loader (shuffled, bucketed) and a few GN2 training
steps, then reports its peak RSS. Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.vs_salt import DATA, make_data  # noqa: E402


def worker(train: str, paths: dict[str, str], threads: int, steps: int) -> dict:
    import torch

    from bench.limits import build

    torch.set_num_threads(threads)
    lit, dm = build({**{k: Path(v) for k, v in paths.items()}, "train": Path(train)}, 1000)
    t0 = time.perf_counter()
    n = sum(b.batch_size for b in dm.train_dataloader())
    wall = time.perf_counter() - t0
    rss_loader = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    opt = torch.optim.AdamW(lit.parameters(), lr=1e-4)
    it = iter(dm.train_dataloader())
    for _ in range(steps):
        _, losses = lit(next(it))
        lit.model.total_loss(losses).backward()
        opt.step()
        opt.zero_grad()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"jets": n, "loader": n / wall, "rss_loader": rss_loader, "rss": rss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--num-jets", type=int, default=20_000)
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--steps", type=int, default=2, help="training steps after the loader pass")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        cfg = json.loads(args.worker)
        print(
            "RESULT " + json.dumps(worker(cfg["train"], cfg["paths"], args.threads, args.steps)), flush=True
        )
        return

    from halite.data.synthetic import write_file

    paths = make_data(args.num_jets, 5_000)
    big = DATA / f"memory_{args.factor}x_{args.num_jets}.h5"
    if not big.exists():
        write_file(big, args.num_jets * args.factor, seed=13)
    print(
        f"peak RSS of one training-loader pass + {args.steps} GN2 steps (batch 1000, {args.threads} threads)"
    )
    print(
        f"{'file':>6s} {'jets':>8s} {'size MiB':>9s} {'loader jets/s':>14s} "
        f"{'peak RSS after loader pass':>27s} {'after training steps':>21s}"
    )
    for label, train in (("1x", paths["train"]), (f"{args.factor}x", big)):
        cfg = {"train": str(train), "paths": {k: str(v) for k, v in paths.items()}}
        cmd = [sys.executable, __file__, "--worker", json.dumps(cfg), "--threads", str(args.threads)]
        cmd += ["--steps", str(args.steps)]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
        if res.returncode or not lines:
            msg = f"memory worker failed (exit {res.returncode}):\n{res.stderr[-3000:]}"
            raise RuntimeError(msg)
        r = json.loads(lines[-1][len("RESULT ") :])
        size = train.stat().st_size / 2**20
        print(
            f"{label:>6s} {r['jets']:8d} {size:9.0f} {r['loader']:14.0f} "
            f"{r['rss_loader']:23.0f} MiB {r['rss']:17.0f} MiB"
        )


if __name__ == "__main__":
    main()
