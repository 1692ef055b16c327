"""halite's ParticleTransformer vs weaver-core's, trained side by side on Pythia jets at identical sizes.

Usage: python bench/vs_weaver.py [--samples top_qcd,quark_gluon] [--seeds 3] [--epochs 8] [--variant weaver]
       python bench/vs_weaver.py --smoke          # tiny sizes, 1 seed, 1 epoch
       python bench/vs_weaver.py --install-only

Samples come from ``halite synth-pythia`` (generated into ``--data-dir`` when missing: ``--num-jets``
over train/val/test 0.8/0.1/0.1). ``bench/vs_weaver_worker.py`` trains one network per process (so
peak RSS is per run): weaver-core's ``ParticleTransformer`` in ``bench/.venv-weaver`` (halite not on
its path) and halite's in halite's environment, on the same arrays (the ParT paper's 17 particle
features, standardised on the training sample; four-momenta for the pair features), the same sizes,
batch, epochs, learning rate, optimiser (weaver's default ``ranger``: RAdam + Lookahead, ``flat+decay``)
and seeds; the two runs of a seed run at the same time (``--jobs 2``) so they share the machine's
load. Per sample it prints AUC, accuracy, background rejection 1/eB at 30% and 50% signal efficiency,
training jets/s and peak RSS for both (mean ± standard deviation over the seeds) and halite / weaver.
``--variant`` picks halite's ParticleTransformer options (``weaver``: its defaults, weaver's network;
``halite-v1``: no batch norm, kinematics embedded; ``no-input-bn``, ``no-pair-bn``,
``embed-kinematics``: one choice each); a comma list measures several. Results of finished runs are
kept in ``--results-dir`` and reused unless ``--fresh``. Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT / "bench"))  # appended: bench/memory.py and the like shadow nothing

from peer_venv import ensure_peer, peer_env  # noqa: E402

VENV = ROOT / "bench" / ".venv-weaver"
VERSION = "0.5.3"
#: what ``weaver.nn.model.ParticleTransformer`` and the worker import, besides torch
DEPS = ["numpy", "h5py"]
WORKER = ROOT / "bench" / "vs_weaver_worker.py"
VARIANTS = ("weaver", "no-input-bn", "no-pair-bn", "embed-kinematics", "halite-v1")


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    npos, nneg = int(y.sum()), int((~y).sum())
    if npos == 0 or nneg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def rejection(labels: np.ndarray, scores: np.ndarray, eff: float) -> float:
    """1 / background efficiency at the cut keeping ``eff`` of the signal (inf when no background passes)."""
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    cut = np.quantile(s[y], 1.0 - eff)
    eb = float((s[~y] >= cut).mean())
    return float("inf") if eb == 0 else 1.0 / eb


def metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """AUC, accuracy (score > 0.5), 1/eB at 30% and 50% signal efficiency."""
    y = np.asarray(labels).astype(bool)
    return {
        "auc": roc_auc(y, scores),
        "acc": float(((np.asarray(scores) > 0.5) == y).mean()),
        "rej30": rejection(y, scores, 0.3),
        "rej50": rejection(y, scores, 0.5),
    }


def run_metrics(rec: dict[str, Any]) -> dict[str, float]:
    """A worker's record -> its metrics plus jets/s, peak RSS (MB) and parameters."""
    out = metrics(rec["labels"], rec["scores"])
    out["jets_s"] = float(rec["seen"]) / float(rec["train_time"])
    if "train_cpu" in rec:  # CPU seconds of the run's own process: robust to waiting for a shared core
        out["jets_cpu"] = float(rec["seen"]) / float(rec["train_cpu"])
        out["infer_cpu"] = len(rec["labels"]) / float(rec["test_cpu"])
    out["rss"] = float(rec["rss_peak"])
    out["params"] = float(rec["params"])
    return out


def mean_spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard deviation (0 for one value)."""
    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


COLUMNS = [("auc", "AUC", 4), ("acc", "accuracy", 4), ("rej30", "1/eB @ 30%", 1), ("rej50", "1/eB @ 50%", 1),
           ("jets_s", "train jets/s", 0), ("jets_cpu", "train jets/CPU-s", 0),
           ("infer_cpu", "test jets/CPU-s", 0), ("rss", "peak RSS MB", 0)]  # fmt: skip


def fmt(values: Sequence[float], digits: int) -> str:
    m, s = mean_spread(values)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def format_table(sample: str, rows: dict[str, list[dict[str, float]]]) -> str:
    """Markdown table: one row per side (mean ± std over seeds) and the ratio to weaver's means."""
    head = "| " + " | ".join([f"{sample}", "params", "seeds", *(c[1] for c in COLUMNS)]) + " |"
    lines = [head, "|" + "---|" * (3 + len(COLUMNS))]
    for side, runs in rows.items():
        if not runs:
            continue
        cells = [side, f"{int(runs[0]['params']):,}", str(len(runs))]
        cells += [fmt([r[k] for r in runs], d) if all(k in r for r in runs) else "-" for k, _, d in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    base = rows.get("weaver") or []
    for side, runs in rows.items():
        if side == "weaver" or not runs or not base:
            continue
        cells = [f"{side} / weaver", "", ""]
        for k, _, _ in COLUMNS:
            if not all(k in r for r in [*runs, *base]):
                cells.append("-")
                continue
            m, w = mean_spread([r[k] for r in runs])[0], mean_spread([r[k] for r in base])[0]
            cells.append(f"{m / w:.3f}" if w else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_memory(sample: str, records: dict[str, list[dict[str, Any]]]) -> str:
    """Markdown table of the mean resident memory now / peak so far (MB) at each worker stage, per side."""
    stages: list[str] = []
    for recs in records.values():
        for r in recs:
            stages += [str(s) for s in r.get("rss_stages", []) if str(s) not in stages]
    if not stages:
        return ""
    lines = [
        "| " + " | ".join([f"{sample} MB (now / peak)", *stages]) + " |",
        "|" + "---|" * (1 + len(stages)),
    ]
    for side, recs in records.items():
        cells = [side]
        for st in stages:
            now = [float(r["rss_stage_now"][list(r["rss_stages"]).index(st)]) for r in recs
                   if st in list(r.get("rss_stages", []))]  # fmt: skip
            peak = [float(r["rss_stage_peak"][list(r["rss_stages"]).index(st)]) for r in recs
                    if st in list(r.get("rss_stages", []))]  # fmt: skip
            cells.append(f"{np.mean(now):.0f} / {np.mean(peak):.0f}" if now else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def weaver_env() -> dict[str, str]:
    return peer_env()


def check_weaver(python: Path) -> str | None:
    """None when ``python`` imports weaver-core's ParticleTransformer on the project's torch, else why not."""
    if not python.exists():
        return f"{python} does not exist"
    code = ("import importlib.metadata as m, torch, h5py, weaver.nn.model.ParticleTransformer; "
            f"assert m.version('weaver-core') == {VERSION!r}; assert torch.__version__.startswith('2.13.0')")  # fmt: skip
    res = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=weaver_env(), cwd="/")
    return None if res.returncode == 0 else res.stderr[-2000:]


def ensure_weaver(venv: Path = VENV) -> Path:
    """``venv``'s Python, creating it (torch 2.13.0, weaver-core --no-deps, numpy, h5py) unless it works."""
    return ensure_peer(venv, [f"weaver-core=={VERSION}"], DEPS, check_weaver, "weaver-core")


def ensure_sample(data_dir: Path, sample: str, num_jets: int, num_constituents: int) -> Path:
    """``data_dir/sample`` with train/val/test files, generated by ``halite synth-pythia`` when missing."""
    out = data_dir / sample
    if all((out / f"{s}.h5").exists() for s in ("train", "val", "test")):
        return out
    print(f"generating {num_jets} {sample} jets into {out} ...", flush=True)
    cmd = [sys.executable, "-m", "halite", "synth-pythia", "--process", sample, "--num-jets", str(num_jets),
           "--num-constituents", str(num_constituents), "--out-dir", str(out), "--no-progress"]  # fmt: skip
    subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return out


def worker_command(side: str, python: Path, data: Path, sample: str, seed: int, out: Path,
                   a: argparse.Namespace, variant: str) -> list[str]:  # fmt: skip
    """One worker run's command line (the same options for both sides)."""
    cmd = [str(python), str(WORKER), "--side", side, "--data", str(data), "--sample", sample, "--seed", str(seed),
           "--out", str(out), "--epochs", str(a.epochs), "--batch-size", str(a.batch_size), "--lr", str(a.lr),
           "--optimizer", a.optimizer, "--num-constituents", str(a.num_constituents),
           "--embed-dims", a.embed_dims, "--pair-embed-dims", a.pair_embed_dims, "--num-heads", str(a.num_heads),
           "--num-layers", str(a.num_layers), "--num-cls-layers", str(a.num_cls_layers),
           "--threads", str(a.threads), "--variant", variant]  # fmt: skip
    if side == "halite":
        cmd += ["--malloc", a.malloc]
    if a.max_train:
        cmd += ["--max-train", str(a.max_train)]
    if a.max_eval:
        cmd += ["--max-eval", str(a.max_eval)]
    return cmd


def run_one(cmd: list[str], out: Path, env: dict[str, str], fresh: bool) -> dict[str, Any]:
    if fresh or not out.exists():
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/")
        if res.returncode or not out.exists():
            msg = f"worker failed (exit {res.returncode}): {' '.join(cmd)}\n{res.stderr[-3000:]}"
            raise RuntimeError(msg)
    with np.load(out) as f:
        return {k: f[k] for k in f.files}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", default="top_qcd,quark_gluon")
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "data" / "weaver")
    ap.add_argument("--results-dir", type=Path, default=None, help="default: DATA_DIR/results")
    ap.add_argument("--num-jets", type=int, default=10000, help="jets generated per sample (0.8 train)")
    ap.add_argument("--num-constituents", type=int, default=32, help="constituent slots fed to both networks")
    ap.add_argument("--max-train", type=int, default=None, help="use the first N training jets")
    ap.add_argument("--max-eval", type=int, default=None, help="use the first N validation / test jets")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument(
        "--lr", type=float, default=1e-3, help="the ParT paper's rate (weaver's own default: 5e-3)"
    )
    ap.add_argument("--optimizer", choices=["ranger", "adamw"], default="ranger")
    ap.add_argument("--embed-dims", default="64,64,64")
    ap.add_argument("--pair-embed-dims", default="64,64,64")
    ap.add_argument("--num-heads", type=int, default=4)
    ap.add_argument("--num-layers", type=int, default=4)
    ap.add_argument("--num-cls-layers", type=int, default=2)
    ap.add_argument(
        "--variant", default="weaver", help=f"halite options, comma list of {', '.join(VARIANTS)}"
    )
    ap.add_argument("--threads", type=int, default=1, help="torch threads per run")
    ap.add_argument(
        "--malloc", default="system", choices=("system", "reuse", "release"), help="halite's --malloc policy"
    )
    ap.add_argument("--jobs", type=int, default=2, help="runs at a time")
    ap.add_argument(
        "--weaver-python", type=Path, help="a weaver-core environment's Python (nothing installed)"
    )
    ap.add_argument("--fresh", action="store_true", help="rerun runs whose results exist")
    ap.add_argument("--smoke", action="store_true", help="tiny: 1 seed, 1 epoch, 256 jets, small network")
    ap.add_argument("--install-only", action="store_true", help="create bench/.venv-weaver and stop")
    ap.add_argument(
        "--table-only", action="store_true", help="print the table of the finished runs, run nothing"
    )
    a = ap.parse_args(argv)
    for v in a.variant.split(","):
        if v not in VARIANTS:
            ap.error(f"--variant {v!r}: choose from {', '.join(VARIANTS)}")
    if a.smoke:
        a.seeds, a.epochs, a.max_train, a.max_eval, a.num_jets = 1, 1, 256, 128, 500
        a.embed_dims, a.pair_embed_dims, a.num_layers, a.num_cls_layers = "16,16", "8,8", 1, 1
        a.data_dir = a.data_dir / "smoke" if a.data_dir == ROOT / "bench" / "data" / "weaver" else a.data_dir
    return a


def main(argv: Sequence[str] | None = None) -> int:
    a = parse(argv)
    python = a.weaver_python or (VENV / "bin" / "python" if a.table_only else ensure_weaver())
    if a.install_only:
        return 0
    results = a.results_dir or a.data_dir / "results"
    tag = (f"n{a.num_constituents}_e{a.epochs}_b{a.batch_size}_lr{a.lr}_{a.optimizer}_emb{a.embed_dims}"
           f"_pair{a.pair_embed_dims}_h{a.num_heads}_l{a.num_layers}_c{a.num_cls_layers}"
           f"_t{a.max_train}_v{a.max_eval}")  # fmt: skip
    variants = a.variant.split(",")
    halite_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for sample in a.samples.split(","):
        data = a.data_dir / sample
        if not a.table_only:
            data = ensure_sample(a.data_dir, sample, a.num_jets, max(a.num_constituents, 64))
        jobs: list[tuple[str, int, list[str], Path, dict[str, str]]] = []
        for seed in range(a.seeds):
            out = results / sample / tag / f"weaver_s{seed}.npz"
            jobs.append(("weaver", seed, worker_command("weaver", python, data, sample, seed, out, a, "weaver"),
                         out, weaver_env()))  # fmt: skip
            for v in variants:
                out = results / sample / tag / f"halite-{v}_s{seed}.npz"
                cmd = worker_command("halite", Path(sys.executable), data, sample, seed, out, a, v)
                jobs.append((f"halite ({v})", seed, cmd, out, halite_env))
        if a.table_only:
            jobs = [j for j in jobs if j[3].exists()]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(a.jobs) as pool:
            futures = [
                (side, pool.submit(run_one, cmd, out, env, a.fresh)) for side, _, cmd, out, env in jobs
            ]
            rows: dict[str, list[dict[str, float]]] = {}
            records: dict[str, list[dict[str, Any]]] = {}
            for side, fut in futures:
                rec = fut.result()
                records.setdefault(side, []).append(rec)
                rows.setdefault(side, []).append(run_metrics(rec))
        print(f"\n{sample}: {a.epochs} epochs, batch {a.batch_size}, lr {a.lr} ({a.optimizer}), "
              f"{a.num_constituents} slots, {a.threads} thread(s) per run, {a.jobs} runs at a time, "
              f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
        print(format_table(sample, {"weaver": rows.pop("weaver", []), **rows}))
        memory = format_memory(sample, {"weaver": records.pop("weaver", []), **records})
        if memory:
            print("\nresident memory at each stage of the worker (mean over seeds):")
            print(memory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
