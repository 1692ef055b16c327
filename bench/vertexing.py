"""Cost of the vertexing head and of the vertex assignment at 40 tracks x batch 1000 on CPU.

Usage: python bench/vertexing.py [--batch-size 1000] [--tracks 40] [--embed 128] [--fill 1.0]
``--fill`` is the fraction of track slots that are valid (1.0 = every jet has all tracks).
Prints seconds per call; never part of `make test`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from halite.nn.layers.dense import DenseConfig
from halite.tasks.vertexing import VertexingTask, vertex_assignment


def timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--tracks", type=int, default=40)
    parser.add_argument("--embed", type=int, default=128)
    parser.add_argument("--fill", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    b, n, d = args.batch_size, args.tracks, args.embed
    task = VertexingTask("vtx", "tracks", "vi", dense_config=DenseConfig(hidden_layers=[128, 64, 32]))
    task.build(d, d)
    x, ctx = torch.randn(b, n, d), torch.randn(b, d)
    lengths = torch.full((b,), round(args.fill * n))
    pad = torch.arange(n) >= lengths.unsqueeze(1)
    labels = {"tracks": {"vi": torch.randint(-1, 4, (b, n))}}
    print(
        f"batch {b} x {n} tracks ({int((~pad).sum())} valid), embed {d}, {args.threads} thread(s)", flush=True
    )
    with torch.no_grad():
        out = task(x, ctx, pad)
        print(f"pair head forward (inference)     {timed(lambda: task(x, ctx, pad)):.3f} s", flush=True)
        print(
            f"VertexIndex from pair logits      {timed(lambda: task.predictions(out, 'm', pad_mask=pad)):.3f} s",
            flush=True,
        )
        same = torch.sigmoid(out) > 0.5
        print(
            f"  of which vertex_assignment      {timed(lambda: vertex_assignment(same, pad)):.3f} s",
            flush=True,
        )
    xg = x.clone().requires_grad_(True)

    def train_step() -> None:
        task.loss(task(xg, ctx, pad), labels, pad).backward()

    print(f"pair head forward + loss + backward {timed(train_step, repeat=2):.3f} s", flush=True)


if __name__ == "__main__":
    main()
