"""GN2 on a GPU, halite vs salt 0.13: training and inference jets/s, peak memory and MFU at batch 1000 and 5000.

Usage: python bench/gpu.py [--batch-sizes 1000 5000] [--steps 30] [--no-salt] [--wheels DIR]
       python bench/gpu.py --device cpu --smoke --no-salt     (tiny sizes on CPU, seconds: CI)
       python bench/gpu.py --download-wheels .whl            (on a machine with a package index)

One prepared script for a lent GPU machine (under 10 minutes there):

1. what halite's ``fit`` / ``test`` import and the machine lacks (jsonargparse and its helpers) into
   ``bench/.venv-gpu-site``; salt-ml 0.13 into ``bench/.venv-salt`` (``bench/vs_salt.py:
   ensure_salt``; on CUDA a venv on the machine's own torch and Lightning) unless ``--no-salt``.
   ``--wheels DIR`` installs from a folder of wheels (``--download-wheels DIR`` fetches them where
   a package index is reachable) on a machine that reaches none;
2. the data: ``halite synth``'s generator in salt's layout with taus (``vs_salt.make_data``), in
   ``bench/data`` (``--data-dir``), enough jets for ``--steps`` training batches of the largest batch;
3. per batch size, salt then halite, each in a fresh process (``bench/vs_salt_worker.py``): ``fit``
   for ``--steps`` batches then ``test`` through their own command lines on salt's own
   ``GN2/GN2.yaml`` (``tests/compat/configs/GN2.yaml``; halite translates it), with
   ``trainer.precision`` bf16 autocast (``bf16-mixed``) on CUDA, halite's fused AdamW
   (``model.fused``) and pinned-memory loading (``data.pin_memory``, on by default with CUDA); salt's
   attention ``flash-varlen`` when flash-attn imports in its venv, else ``torch-flash``;
4. the table: jets/s after the first batch (a warm-up), peak memory (GPU memory allocated on CUDA,
   peak RSS on CPU) and MFU: useful FLOP/s over this device's measured matmul rate (bf16 on CUDA,
   fp32 on CPU), useful FLOPs being halite's per-jet count on valid constituents
   (``torch.utils.flop_counter``; forward for inference, forward + backward for training), the same
   for both frameworks since they run the same model on the same jets.

Targets on an H200 (issue 21): halite >= 2x salt's jets/s, >= 150k GN2 training jets/s. ``--smoke``:
batch 20, 3 steps, 1 thread, fp32, no loader workers, so the whole path runs on a CPU in CI
(``tests/unit/test_bench_gpu.py``). Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.vs_salt import (  # noqa: E402  (the repository on the path first)
    DATA,
    SALT_CONFIG,
    SALT_PY,
    ensure_salt,
    make_data,
    run_worker,
    salt_versions,
    shared_args,
)

#: targets of issue 21 on an H200
TARGET_RATIO = 2.0
TARGET_TRAIN = 150_000.0
#: salt's encoder attention key in GN2.yaml
SALT_ATTN_KEY = "model.model.init_args.encoder.init_args.attn_type"
#: what halite's ``fit`` / ``test`` import beyond torch, Lightning, h5py, numpy and PyYAML
HALITE_WHEELS = ["jsonargparse==4.53.0", "docstring-parser==0.18.0", "typeshed-client==2.15.0"]
#: salt 0.13 and what its CLI imports that a CUDA image with torch and Lightning may lack (comet_ml's chain)
SALT_WHEELS = [
    "salt-ml==0.13.0", "atlas-ftag-tools==0.3.3", "lion-pytorch", "hdf5plugin", "comet_ml", "dulwich",
    "everett[ini]", "configobj", "python-box<7", "requests-toolbelt", "semantic-version", "sentry-sdk",
    "wurlitzer", "jsonschema", "jsonschema-specifications", "referencing", "rpds-py", "argcomplete",
]  # fmt: skip
#: halite's missing packages go here (``pip install --target``), first on the path of every worker
HALITE_SITE = ROOT / "bench" / ".venv-gpu-site"
#: the modules ``halite fit`` and ``halite test`` need
HALITE_CHECK = "import halite.cli.app, halite.training.module, halite.data.datamodule"


def download_wheels(folder: Path, python: str = "3.12") -> None:
    """On a machine with a package index: the wheels ``--wheels`` installs on one without (Linux x86-64)."""
    platforms = [
        "manylinux_2_28_x86_64",
        "manylinux_2_27_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
    ]
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(folder),
    ]
    cmd += ["--python-version", python, "--implementation", "cp", *[f"--platform={p}" for p in platforms]]
    subprocess.run([*cmd, *HALITE_WHEELS, *SALT_WHEELS], check=True)


def ensure_halite(wheels: Path | None) -> None:
    """Make halite's ``fit`` / ``test`` importable here: what is missing goes into ``bench/.venv-gpu-site``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HALITE_SITE), str(ROOT)])}
    check = [sys.executable, "-c", HALITE_CHECK]
    if subprocess.run(check, capture_output=True, env=env).returncode:
        pip = [sys.executable, "-m", "pip", "install", "-q", "--target", str(HALITE_SITE)]
        pip += ["--no-index", "--find-links", str(wheels)] if wheels is not None else []
        print(f"installing {', '.join(HALITE_WHEELS)} into {HALITE_SITE} ...", flush=True)
        subprocess.run([*pip, "--no-deps", *HALITE_WHEELS], check=True)
        res = subprocess.run(check, capture_output=True, text=True, env=env)
        if res.returncode:
            msg = f"halite does not import with {HALITE_SITE}:\n{res.stderr[-2000:]}"
            raise RuntimeError(msg)
    if HALITE_SITE.is_dir():  # this process and the workers it starts
        sys.path.insert(0, str(HALITE_SITE))
        os.environ["PYTHONPATH"] = os.pathsep.join([str(HALITE_SITE), os.environ.get("PYTHONPATH", "")])


def matmul_rate(device: str, size: int, dtype: Any, repeats: int = 10) -> float:
    """Best FLOP/s of a ``size`` cubed matrix product on ``device`` in ``dtype``."""
    import torch

    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    best = float("inf")
    for i in range(repeats + 2):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        torch.mm(a, b)
        if device == "cuda":
            torch.cuda.synchronize()
        if i >= 2:  # two warm-ups
            best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best


def translated_config(args: list[str], folder: Path) -> list[str]:
    """halite's ``fit`` arguments for salt's ``fit`` arguments: salt's config and overrides translated once.

    The translated file takes further halite-only overrides (``--model.fused``), which a salt config
    would refuse.
    """
    from halite.commands._lightning import translate_salt_args

    with contextlib.redirect_stdout(io.StringIO()):  # its one line naming the file
        out = translate_salt_args("fit", args[1:], out_dir=str(folder))
    assert out is not None, "the config is not a salt config"
    return ["fit", *out]


def flops_per_jet(halite_fit: list[str], batch_size: int) -> tuple[float, float]:
    """(forward, forward + backward) FLOPs per jet of halite's model on valid constituents (CPU, fp32)."""
    import torch

    from bench.limits import flops_per_jet as count
    from halite.commands._build import build_from_config

    args = [a for a in halite_fit[1:] if a.startswith(("--config", "--data."))]
    cli = build_from_config([*args, f"--data.batch_size={batch_size}", "--data.num_workers=0"])
    cli.datamodule.require_labels(cli.model.model.required_labels())
    batch = next(iter(cli.datamodule.val_dataloader()))
    torch.manual_seed(0)
    lit = cli.model.train()
    return count(lit, batch, False), count(lit, batch, True)


def salt_attention(device: str) -> str:
    """salt's attention for ``device``: ``flash-varlen`` when flash-attn imports in its venv, else ``torch-flash``."""
    if device != "cuda":
        return "torch-math"
    found = subprocess.run([str(SALT_PY), "-c", "import flash_attn"], capture_output=True).returncode == 0
    return "flash-varlen" if found else "torch-flash"


def fmt_rate(value: float) -> str:
    return f"{value:14,.0f}" if value == value else f"{'-':>14s}"


def table(rows: list[dict[str, Any]], memory: str, peak: float, flops: tuple[float, float]) -> list[str]:
    """The lines of the result table (one per batch size and framework, and the halite/salt ratios)."""
    fwd, train = flops
    head = (
        f"{'batch':>6s}  {'framework':<26s} {'train [jets/s]':>14s} {'test [jets/s]':>14s} "
        f"{'fit ' + memory:>16s} {'test ' + memory:>16s} {'train MFU':>9s} {'test MFU':>9s}"
    )
    lines = [head]
    by_batch: dict[int, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_batch.setdefault(r["batch"], {})[r["framework"]] = r
    for batch, found in by_batch.items():
        for name, r in found.items():
            label = f"{name} ({r['attn']})" if r.get("attn") else name
            lines.append(
                f"{batch:>6d}  {label:<26s} {fmt_rate(r['train'])} {fmt_rate(r['test'])} "
                f"{r['mem_fit']:16,.0f} {r['mem_test']:16,.0f} "
                f"{r['train'] * train / peak:9.2%} {r['test'] * fwd / peak:9.2%}"
            )
        if "salt" in found and "halite" in found:
            s, h = found["salt"], found["halite"]
            lines.append(
                f"{batch:>6d}  {'halite/salt':<26s} {h['train'] / s['train']:13.2f}x {h['test'] / s['test']:13.2f}x "
                f"{h['mem_fit'] / s['mem_fit']:15.2f}x {h['mem_test'] / s['mem_test']:15.2f}x"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--device", choices=["cuda", "cpu"], default="cuda", help="where both train (default cuda)"
    )
    ap.add_argument(
        "--smoke", action="store_true", help="tiny sizes (batch 20, 3 steps, 1 thread): seconds on CPU"
    )
    ap.add_argument("--no-salt", action="store_true", help="halite only (no salt venv)")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=None, help="default 1000 5000 (smoke: 20)")
    ap.add_argument("--steps", type=int, default=None, help="training batches per run (default 30; smoke: 3)")
    ap.add_argument(
        "--test-batches", type=int, default=None, help="test batches per run (default 5; smoke: 2)"
    )
    ap.add_argument("--workers", type=int, default=None, help="loader workers (default 4 on CUDA, else 0)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: the cores; smoke: 1)")
    ap.add_argument(
        "--precision", default=None, help="trainer.precision (default bf16-mixed on CUDA, else 32)"
    )
    ap.add_argument("--compile", action="store_true", help="halite with --compile (torch.compile)")
    ap.add_argument(
        "--wheels", type=Path, default=None, help="install salt from this folder of wheels (offline)"
    )
    ap.add_argument(
        "--data-dir", type=Path, default=DATA, help="data and run directories (default bench/data)"
    )
    ap.add_argument(
        "--download-wheels", type=Path, default=None, metavar="DIR",
        help="only download the wheels --wheels needs (Python 3.12, Linux x86-64) into DIR and exit",
    )  # fmt: skip
    args = ap.parse_args(argv)
    if args.download_wheels is not None:
        download_wheels(args.download_wheels)
        return 0
    ensure_halite(args.wheels)
    import torch

    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        ap.error(
            "--device cuda: torch sees no CUDA device here; run with --device cpu (--smoke for CI sizes)."
        )
    batches = args.batch_sizes or ([20] if args.smoke else [1000, 5000])
    steps = args.steps or (3 if args.smoke else 30)
    test_batches = args.test_batches or (2 if args.smoke else 5)
    workers = args.workers if args.workers is not None else (4 if cuda and not args.smoke else 0)
    threads = args.threads or (1 if args.smoke else os.cpu_count() or 1)
    precision = args.precision or ("bf16-mixed" if cuda else "32")
    torch.set_num_threads(threads)
    t_start = time.perf_counter()
    install_s = 0.0 if args.no_salt else ensure_salt(cuda=cuda, wheels=args.wheels)
    num_train, num_test = steps * max(batches), test_batches * max(batches)
    paths = make_data(num_train, num_test, taus=True, folder=args.data_dir)
    if cuda:
        peak, peak_name = matmul_rate("cuda", 256 if args.smoke else 8192, torch.bfloat16), "bf16"
    else:
        peak, peak_name = matmul_rate("cpu", 256 if args.smoke else 2048, torch.float32, 3), "fp32"
    attn = None if args.no_salt else salt_attention(args.device)
    device_name = torch.cuda.get_device_name() if cuda else f"CPU, {threads} threads"
    versions = (
        ""
        if args.no_salt
        else " | salt {salt} (torch {torch}, lightning {lightning})".format(**salt_versions())
    )
    print(
        f"GN2 (salt 0.13's GN2.yaml, both frameworks) on {args.device} ({device_name}) | precision {precision}, "
        f"{'fused' if cuda else 'default'} AdamW (halite), {workers} loader workers, pinned memory {cuda}, "
        f"{steps} training batches (the first a warm-up) + {test_batches} test batches per run | halite torch "
        f"{torch.__version__}{versions}",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    flops: tuple[float, float] | None = None
    for batch in batches:
        for fw in ["halite"] if args.no_salt else ["salt", "halite"]:
            root = args.data_dir / "runs" / f"gpu_{fw}_{batch}_{time.strftime('%Y%m%d-%H%M%S')}"
            root.mkdir(parents=True)
            fit = shared_args(
                SALT_CONFIG, paths, root, num_train=steps * batch, num_val=batch, batch_size=batch,
                workers=workers, precision=precision,
            )  # fmt: skip
            fit = [
                a.replace("--trainer.accelerator=cpu", f"--trainer.accelerator={args.device}") for a in fit
            ]
            if fw == "salt":
                fit.append(f"--{SALT_ATTN_KEY}={attn}")
            else:
                fit = translated_config(fit, root)
                if cuda:
                    fit.append("--model.fused=true")
                if args.compile:
                    fit.append("--compile")
                if flops is None:
                    flops = flops_per_jet(fit, min(batch, 500))
            cfg = {
                "threads": threads,
                "root_dir": str(root),
                "fit_args": fit,
                "test_file": str(paths["test"]),
                "test_kwargs": {"num_test": test_batches * batch, "batch_size": batch, "workers": workers},
            }
            r = run_worker(fw, cfg, root / "worker.log")
            mem_fit, mem_test = (r["cuda_fit"], r["cuda_test"]) if cuda else (r["rss_fit"], r["rss"])
            rows.append({
                "batch": batch, "framework": fw, "attn": attn if fw == "salt" else None, "train": r["train"],
                "test": r["test"], "mem_fit": mem_fit, "mem_test": mem_test,
            })  # fmt: skip
            print(
                f"  batch {batch} {fw}: train {r['train']:,.0f} test {r['test']:,.0f} jets/s ({root})",
                flush=True,
            )
    assert flops is not None
    memory = "GPU [MiB]" if cuda else "RSS [MiB]"
    print()
    print(
        f"matmul rate {peak / 1e12:.2f} TFLOP/s ({peak_name}, measured); useful FLOPs per jet (halite, valid "
        f"constituents): forward {flops[0] / 1e6:.1f} M, forward + backward {flops[1] / 1e6:.1f} M"
    )
    for line in table(rows, memory, peak, flops):
        print(line)
    if cuda and not args.smoke:
        halite_train = [r["train"] for r in rows if r["framework"] == "halite"]
        best = max(halite_train)
        print(
            f"target: halite >= {TARGET_TRAIN:,.0f} training jets/s: {best:,.0f} ({'ok' if best >= TARGET_TRAIN else 'MISSED'})"
        )
        ratios = [
            h["train"] / s["train"]
            for h in rows
            for s in rows
            if h["framework"] == "halite" and s["framework"] == "salt" and h["batch"] == s["batch"]
        ]
        if ratios:
            worst = min(ratios)
            print(f"target: halite >= {TARGET_RATIO:.0f}x salt's training jets/s: {worst:.2f}x at worst ({'ok' if worst >= TARGET_RATIO else 'MISSED'})")  # fmt: skip
    extra = f", salt installed in {install_s:.0f} s" if install_s else ""
    print(
        f"whole benchmark {time.perf_counter() - t_start:.0f} s{extra}; one run per cell (rerun for the spread)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
