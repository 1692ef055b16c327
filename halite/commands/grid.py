"""``halite grid``: run and compare a grid of point-cloud models on one sample and task.

Each entry is ``halite fit`` then ``halite test`` in its own process (see :mod:`halite.training.grid`);
the pretrained entries (``OLS``, ``OLM``) fine-tune ``halite pretrain`` backbones, pretrained first
when missing. With ``--submit slurm`` job scripts are written instead (the pretraining jobs, the
fine-tuning jobs and a ``submit.sh`` chaining them with ``--dependency=afterok``), and ``--collect``
builds the table once they have run. The seed's ``--use-omnilearned``, ``--use-pretrained`` and
``--cond_only`` define entries too (:mod:`halite.training.grid_models`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    from halite.training.grid_models import ALIASES, DEFAULT_MODELS, MODELS

    ap = argparse.ArgumentParser(
        prog="halite grid",
        description="Run a grid of point-cloud models on one sample and task, and compare them.",
    )
    ap.add_argument("--models", default=None,
                    help=f"comma-separated ids from {sorted(MODELS)} (former ids {sorted(ALIASES)} are aliases); "
                         f"default {DEFAULT_MODELS}, or only the entries of the seed's flags below")  # fmt: skip
    ap.add_argument("--use-omnilearned", choices=["small", "medium", "large"], default=None,
                    help="the seed's flag: a PET2 entry of this preset (random weights unless --use-pretrained)")  # fmt: skip
    ap.add_argument("--use-pretrained", default=None,
                    help="the seed's flag: the backbone of that entry, a name (pretrain_s: <pretrained-dir>/pretrain_s/) "
                         "or a checkpoint path (halite .ckpt or OmniLearned best_model_*.pt)")  # fmt: skip
    ap.add_argument("--cond_only", "--cond-only", dest="cond_only", action="store_true",
                    help="the seed's flag: add the cond-only (global features only) entry")  # fmt: skip
    ap.add_argument("--task", choices=["regression", "classification"], default="classification")
    ap.add_argument("--sample", choices=["events", "jets"], default="events")
    ap.add_argument("--out-dir", type=Path, default=Path("grid_runs"))
    ap.add_argument("--data-dir", type=Path, default=Path("points_data"))
    ap.add_argument("--num-train", type=int, default=20_000)
    ap.add_argument("--num-eval", type=int, default=5_000)
    ap.add_argument("--max-epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--num-constituents", type=int, default=None,
                    help="constituent slots read per jet/event (data.num_inputs of the sample's stream; default the configs' 64)")  # fmt: skip
    ap.add_argument("--accelerator", default=None,
                    help="trainer accelerator of every run and pretraining (default: the configs' cpu; gpu on --submit)")  # fmt: skip
    ap.add_argument("--pretrained-ckpt", type=Path, default=None,
                    help="one checkpoint for every pretrained entry (overrides their backbone names)")  # fmt: skip
    ap.add_argument("--pretrained-dir", type=Path, default=Path("pretrained"),
                    help="where backbone names resolve: <dir>/<name>/backbone.ckpt (halite pretrain --out)")  # fmt: skip
    ap.add_argument("--pretrain-data-dir", type=Path, default=Path("pretrain_data"),
                    help="halite pretrain --data-dir for missing backbones")  # fmt: skip
    ap.add_argument("--pretrain-epochs", type=int, default=10)
    ap.add_argument(
        "--pretrain-num-train", type=int, default=20_000, help="train jets per pretraining source"
    )
    ap.add_argument("--pretrain-args", default="", help="further halite pretrain arguments (one string)")
    ap.add_argument(
        "--submit", choices=["slurm"], default=None, help="write cluster job scripts instead of running"
    )
    ap.add_argument("--collect", action="store_true", help="build the table from finished (submitted) runs")
    return ap


def _backbones(args: argparse.Namespace, models: list[str], flagged: dict[str, str]) -> dict[str, str]:
    """Model id -> backbone name or path, for the pretrained entries."""
    from halite.training.grid_models import MODELS

    out = {}
    for m in models:
        source = flagged.get(m) or MODELS[m].pretrained
        if source is not None:
            out[m] = str(args.pretrained_ckpt) if args.pretrained_ckpt else source
    return out


def main(argv: list[str]) -> int:
    """Entry point of ``halite grid``; prints the comparison table (Markdown)."""
    from halite.training.grid import (
        STREAMS,
        collect_run,
        ensure_data,
        metrics,
        run_config,
        run_one,
        write_job,
        write_table,
    )
    from halite.training.grid_models import (
        DEFAULT_MODELS,
        MODELS,
        canonical,
        entries_from_flags,
        on_gpu,
        pretrain_command,
        resolve_backbone,
        write_pretrain_job,
        write_submit_script,
    )

    args = parser().parse_args(argv)
    flag_ids, flagged = entries_from_flags(args.use_omnilearned, args.use_pretrained, args.cond_only)
    listed = args.models if args.models is not None else ("" if flag_ids else DEFAULT_MODELS)
    models = list(dict.fromkeys([canonical(m.strip()) for m in listed.split(",") if m.strip()] + flag_ids))
    out = args.out_dir / f"{args.sample}_{args.task}"
    sizes = (args.num_train, args.num_eval, args.num_eval)
    overrides: dict[str, dict[str, object]] = {
        "data": {"batch_size": args.batch_size},
        "trainer": {"max_epochs": args.max_epochs},
    }
    if args.accelerator:
        overrides["trainer"]["accelerator"] = args.accelerator
    if args.num_constituents is not None:
        if args.num_constituents < 1:
            print("halite grid: --num-constituents must be >= 1", file=sys.stderr)
            return 2
        overrides["data"]["num_inputs"] = {STREAMS[args.sample]: args.num_constituents}
    pre_extra = (
        f"--accelerator {args.accelerator} {args.pretrain_args}" if args.accelerator else args.pretrain_args
    )
    configs = {
        m: run_config(m, args.sample, args.task, args.data_dir.resolve(), (out / m).resolve(), overrides)
        for m in models
    }
    ensure_data(args.data_dir, args.sample, sizes)
    backbones = {
        m: resolve_backbone(s, args.pretrained_dir) for m, s in _backbones(args, models, flagged).items()
    }
    missing = {  # backbone name -> (checkpoint, preset of the entry that needs it)
        name: (ckpt, MODELS[m].config.removeprefix("pet2_").removesuffix(".yaml"))
        for m, (ckpt, name) in backbones.items()
        if name is not None and not ckpt.is_file()
    }
    commands = {
        name: pretrain_command(name, preset, ckpt.parent, args.pretrain_data_dir.resolve(),
                               args.pretrain_epochs, args.pretrain_num_train, pre_extra)
        for name, (ckpt, preset) in missing.items()
    }  # fmt: skip
    if args.submit:
        root = Path(__file__).resolve().parents[2]
        pre_jobs = {
            name: write_pretrain_job((out / f"{name}.slurm").resolve(), name, on_gpu(cmd), root)
            for name, cmd in commands.items()
        }
        jobs = {}
        for m, cfg in configs.items():
            ckpt, name = backbones.get(m, (None, None))
            jobs[m] = (write_job(cfg, (out / m).resolve(), ckpt), name)
            wait = f" after {name}" if name in pre_jobs else ""
            print(f"wrote {jobs[m][0]}" + (f"  (fine-tunes {ckpt}{wait})" if ckpt else ""))
        for name, job in pre_jobs.items():
            print(f"wrote {job}  (halite pretrain: {missing[name][0].parent} is missing)")
        script = write_submit_script((out / "submit.sh").resolve(), pre_jobs, jobs)
        print(
            f"wrote {script}  (run it to sbatch everything; then `halite grid --collect` with the same options)"
        )
        return 0
    if not args.collect:
        for name, cmd in commands.items():
            print(
                f"Backbone {name} not found at {missing[name][0]}: running halite pretrain first:\n  {' '.join(cmd)}"
            )
            subprocess.run(cmd, check=True)
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
            info = run_one(cfg, rd, backbones[m][0] if m in backbones else None)
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
