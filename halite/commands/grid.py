"""``halite grid``: run and compare a grid of point-cloud models on one sample and task.

Each entry is ``halite fit`` then ``halite test`` in its own process (see :mod:`halite.training.grid`);
with ``--submit slurm`` job scripts are written instead and ``--collect`` builds the table once they
have run.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    from halite.training.grid import MODELS

    ap = argparse.ArgumentParser(
        prog="halite grid",
        description="Run a grid of point-cloud models on one sample and task, and compare them.",
    )
    ap.add_argument("--models", default="vit,pet2-small,pet2-small-scratch,pet2-medium,part,cond-only",
                    help=f"comma-separated identifiers from {sorted(MODELS)}")  # fmt: skip
    ap.add_argument("--task", choices=["regression", "classification"], default="classification")
    ap.add_argument("--sample", choices=["events", "jets"], default="events")
    ap.add_argument("--out-dir", type=Path, default=Path("grid_runs"))
    ap.add_argument("--data-dir", type=Path, default=Path("points_data"))
    ap.add_argument("--num-train", type=int, default=20_000)
    ap.add_argument("--num-eval", type=int, default=5_000)
    ap.add_argument("--max-epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--pretrained-ckpt", type=Path, default=None,
                    help="backbone checkpoint for pretrained entries (default: pretrain on the other sample first)")  # fmt: skip
    ap.add_argument(
        "--submit", choices=["slurm"], default=None, help="write cluster job scripts instead of running"
    )
    ap.add_argument("--collect", action="store_true", help="build the table from finished (submitted) runs")
    return ap


def main(argv: list[str]) -> int:
    """Entry point of ``halite grid``; prints the comparison table (Markdown)."""
    from halite.training.grid import (
        MODELS,
        collect_run,
        ensure_data,
        metrics,
        run_config,
        run_one,
        write_job,
        write_table,
    )

    args = parser().parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    out = args.out_dir / f"{args.sample}_{args.task}"
    sizes = (args.num_train, args.num_eval, args.num_eval)
    overrides = {"data": {"batch_size": args.batch_size}, "trainer": {"max_epochs": args.max_epochs}}
    configs = {
        m: run_config(m, args.sample, args.task, args.data_dir.resolve(), (out / m).resolve(), overrides)
        for m in models
    }
    ensure_data(args.data_dir, args.sample, sizes)
    pretrained = args.pretrained_ckpt
    if any(MODELS[m].pretrained for m in models) and pretrained is None and not args.collect:
        other = "jets" if args.sample == "events" else "events"
        ensure_data(args.data_dir, other, sizes)
        pre_dir = (out / "pretraining").resolve()
        pre_cfg = run_config(
            "pet2-small-scratch", other, "classification", args.data_dir.resolve(), pre_dir, overrides
        )
        pre_cfg["name"] = "pretraining"
        print(f"Pretraining PET2-small on the {other} sample for the pretrained entries ...")
        info = run_one(pre_cfg, pre_dir, None) if not args.submit else None
        pretrained = Path(info["run_dir"]) / "ckpts" / "last.ckpt" if info else None
    if args.submit:
        for m, cfg in configs.items():
            job = write_job(cfg, (out / m).resolve(), pretrained if MODELS[m].pretrained else None)
            print(f"wrote {job}  (sbatch it; then `halite grid --collect` with the same options)")
        return 0
    results = []
    for m, cfg in configs.items():
        rd = (out / m).resolve()
        if args.collect:
            found = collect_run(cfg, rd)
            if found is None:
                print(f"{m}: no finished run in {rd}; skipped")
                continue
            info = found
        else:
            print(f"=== {m} ===")
            info = run_one(cfg, rd, pretrained if MODELS[m].pretrained else None)
        results.append(
            {
                "model": m,
                **info,
                "metrics": metrics(Path(info["predictions"]), cfg["name"], args.sample, args.task),
            }
        )
    md = write_table(results, out, f"{args.sample} sample, {args.task}")
    print(md.read_text())
    return 0
