"""halite's training loader against the raw h5py read rate of the same file, per storage layout and workers.

Usage: python bench/loader.py [--num-jets 100000] [--batch-size 1000] [--workers 0 1 2]
                              [--layouts none lz4 zstd] [--chunk-jets 1000] [--reps 5]

For each layout (``none``: contiguous, as ``halite synth`` writes by default; ``lz4`` / ``zstd``
/ ``gzip``: chunked and compressed, as ``halite convert --compression`` writes it) the same
synthetic jets are read

* raw: every dataset in its native dtype, ``batch_size * 16`` jets per read, nothing else
  (``bench/limits.py``'s ``h5py_read_rate``: the reference of issue 21's target, loader >= 50%);
* by halite's training loader (``configs/GN2.yaml``'s data section with the jet-flavour and
  track-origin labels: shuffling, length buckets, trimming, label maps, finiteness checks),
  with 0 (in-process), 1, 2 ... loader workers, one warm-up epoch, then timed epochs.

Raw and loader epochs alternate, medians of ``--reps``. With 0 workers the CPU-time ratio
(process CPU seconds of the raw read over those of the loader) is printed too: it is
insensitive to other processes sharing the cores. Files go to ``bench/data`` (reused).
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "data"
TARGET = 0.5

if TYPE_CHECKING:
    from halite.data.datamodule import JetDataModule


def make_files(num_jets: int, layouts: list[str], chunk_jets: int) -> dict[str, Path]:
    """The synthetic training file in each layout (written once: ``halite synth``, then ``relayout``)."""
    from halite.data.convert import relayout
    from halite.data.synthetic import write_file

    DATA.mkdir(parents=True, exist_ok=True)
    plain = DATA / f"loader_{num_jets}.h5"
    if not plain.exists():
        write_file(plain, num_jets, seed=11)
    paths = {}
    for layout in layouts:
        if layout == "none":
            paths[layout] = plain
            continue
        path = DATA / f"loader_{num_jets}_{layout}_{chunk_jets}.h5"
        if not path.exists():
            relayout([plain], path, layout, chunk_jets)
        paths[layout] = path
    return paths


def datamodule(path: Path, batch_size: int, workers: int) -> JetDataModule:
    """The GN2 config's data section on ``path`` with the labels its limits model reads."""
    import yaml

    from halite.data.datamodule import JetDataModule
    from halite.data.specs import LabelSpec

    cfg = yaml.safe_load((ROOT / "configs" / "GN2.yaml").read_text())["data"]
    cfg.update(
        train_file=str(path),
        val_file=str(path),
        test_file=str(path),
        batch_size=batch_size,
        num_workers=workers,
        pin_memory=False,
    )
    dm = JetDataModule(**cfg)
    dm.require_labels(
        {
            "jets": [LabelSpec("flavour_label", num_classes=3)],
            "tracks": [LabelSpec("ftagTruthOriginLabel", num_classes=8)],
        }
    )
    return dm


def raw_epoch(path: Path, block: int) -> tuple[float, float]:
    """(wall, CPU) seconds of one raw read of ``path`` (``bench/limits.py``'s reference read)."""
    from bench.limits import h5py_read_rate
    from halite.data.layout import register_filters

    register_filters()
    c0, t0 = time.process_time(), time.perf_counter()
    h5py_read_rate(path, block)
    return time.perf_counter() - t0, time.process_time() - c0


def measure(path: Path, batch_size: int, workers: int, reps: int) -> dict[str, float]:
    """Median raw and loader jets/s (and the CPU-time ratio) over ``reps`` alternating epochs."""
    dm = datamodule(path, batch_size, workers)
    loader = dm.train_dataloader()
    dataset = dm.train_dataset
    assert dataset is not None
    jets = dataset.num_jets
    raw_epoch(path, batch_size * 16)  # page cache
    sum(b.batch_size for b in loader)  # warm-up: workers started, files opened
    raw, rate, cpu_ratio = [], [], []
    for rep in range(reps):
        wall, cpu = raw_epoch(path, batch_size * 16)
        raw.append(jets / wall)
        dataset.set_epoch(rep + 1)
        c0, t0 = time.process_time(), time.perf_counter()
        n = sum(b.batch_size for b in loader)
        lwall, lcpu = time.perf_counter() - t0, time.process_time() - c0
        assert n == jets, (n, jets)
        rate.append(jets / lwall)
        cpu_ratio.append(cpu / lcpu)
    del loader  # stop the workers
    return {
        "raw": statistics.median(raw),
        "loader": statistics.median(rate),
        "ratio": statistics.median(r / w for r, w in zip(rate, raw, strict=True)),
        "cpu_ratio": statistics.median(cpu_ratio),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--num-jets", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--layouts", nargs="+", default=["none", "lz4", "zstd"])
    ap.add_argument("--chunk-jets", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    paths = make_files(args.num_jets, args.layouts, args.chunk_jets)
    print(
        f"loader vs raw h5py read | {args.num_jets} jets, batch {args.batch_size}, GN2 data section, "
        f"medians of {args.reps} alternating epochs; target: loader >= {TARGET:.0%} of raw"
    )
    header = f"{'layout':>7} {'MiB':>6} {'workers':>7} {'raw jets/s':>11} {'loader jets/s':>13} {'loader/raw':>10} {'CPU-time':>8}  target"
    print(header)
    print("-" * len(header))
    for layout, path in paths.items():
        size = path.stat().st_size / 2**20
        for workers in args.workers:
            r = measure(path, args.batch_size, workers, args.reps)
            cpu = f"{r['cpu_ratio']:8.0%}" if workers == 0 else f"{'':8}"
            ok = "met" if r["ratio"] >= TARGET else "MISSED"
            print(
                f"{layout:>7} {size:6.0f} {workers:7d} {r['raw']:11.0f} {r['loader']:13.0f} "
                f"{r['ratio']:10.0%} {cpu}  {ok}"
            )
    print(
        "layout: none = contiguous (halite synth default); lz4 / zstd / gzip = chunked "
        f"({args.chunk_jets} jets) and compressed (halite convert --compression)."
    )
    print("CPU-time: raw CPU seconds / loader CPU seconds, in-process only (robust to shared cores).")


if __name__ == "__main__":
    main()
