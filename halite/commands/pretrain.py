"""``halite pretrain``: pretrain a PET2 backbone on a mixed jet sample (one class per source and label).

Generates the missing sources (``synth-points`` jets, ``synth-pythia`` processes) under
``--data-dir``, mixes and balances them (:mod:`halite.training.pretrain_data`), trains with
``halite fit`` and writes ``<out>/backbone.ckpt`` and ``<out>/model_card.yaml``
(:mod:`halite.training.pretrain`). Fine-tune with ``--model.pretrained <out>/backbone.ckpt``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    from halite.training.pretrain import PRESETS
    from halite.training.pretrain_data import SOURCES

    ap = argparse.ArgumentParser(
        prog="halite pretrain",
        description="Pretrain a PET2 backbone (OmniLearned's objective: classification over many jet classes).",
    )
    ap.add_argument(
        "--preset", choices=PRESETS, default="small", help="configs/pet2_<preset>.yaml is the template"
    )
    ap.add_argument("--out", type=Path, required=True, help="output folder (backbone.ckpt, model_card.yaml)")
    ap.add_argument("--data-dir", type=Path, default=Path("pretrain_data"), help="one sub-folder per source")
    ap.add_argument("--sources", default=",".join(SOURCES), help=f"comma-separated, from {list(SOURCES)}")
    ap.add_argument("--num-train", type=int, default=20_000, help="train jets generated per missing source")
    ap.add_argument("--num-val", type=int, default=2_000, help="validation jets generated per missing source")
    ap.add_argument("--max-per-class", type=int, default=None, help="jets per class and split at most")
    ap.add_argument("--num-constituents", type=int, default=64, help="constituent slots of the mixed sample")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the template's)")
    ap.add_argument("--accelerator", default=None, help="trainer accelerator (default: the template's)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=1, help="processes generating each missing Pythia source")
    for key in ("base_dim", "num_transformers", "num_transformers_head", "num_heads", "num_tokens", "K"):
        ap.add_argument(f"--{key.replace('_', '-')}", dest=key, type=int, default=None,
                        help="override the preset's PET2 size")  # fmt: skip
    return ap


def main(argv: list[str]) -> int:
    """Entry point of ``halite pretrain``; prints progress and the model card's path."""
    from halite.data.prep import compute_class_dict, compute_norm_dict
    from halite.io import write_yaml
    from halite.training.pretrain import (
        SIZE_ARGS,
        accuracy,
        copy_backbone,
        last_metrics,
        model_card,
        parameter_count,
        pretrain_config,
        template,
    )
    from halite.training.pretrain_data import LABEL, ensure_source, write_mixed

    args = parser().parse_args(argv)
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    if min(args.num_train, args.num_val, args.epochs, args.batch_size) < 1:
        print(
            "halite pretrain: --num-train, --num-val, --epochs and --batch-size must be >= 1", file=sys.stderr
        )
        return 2
    sizes = {k: getattr(args, k) for k in SIZE_ARGS if getattr(args, k) is not None}
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i, s in enumerate(sources):
        split_sizes = {"train": args.num_train, "val": args.num_val}
        ensure_source(args.data_dir, s, split_sizes, args.seed + 10 * i, print, args.workers)
    variables = template(args.preset)["data"]["variables"]
    mixed_dir = out / "data"
    print(f"mixing {sources} into {mixed_dir} ...")
    mixed = write_mixed(args.data_dir, mixed_dir, sources, variables, args.num_constituents,
                        args.max_per_class, args.seed)  # fmt: skip
    write_yaml(mixed_dir / "norm_dict.yaml", compute_norm_dict(mixed.files["train"], variables))
    write_yaml(mixed_dir / "class_dict.yaml", compute_class_dict(mixed.files["train"], {"jets": [LABEL]}))
    for c in mixed.classes:
        print(f"  {c}: {mixed.counts[c]['train']} train, {mixed.counts[c]['val']} val jets")
    trainer = {"accelerator": args.accelerator} if args.accelerator else None
    cfg = pretrain_config(args.preset, mixed, mixed_dir, out / "logs", f"pretrain_{args.preset}", sizes,
                          args.epochs, args.batch_size, args.lr, trainer)  # fmt: skip
    cfg["seed_everything"] = args.seed
    cfg_path = out / "config.yaml"
    write_yaml(cfg_path, cfg)
    py = [sys.executable, "-m", "halite"]
    print(f"training PET2-{args.preset} on {len(mixed.classes)} classes for {args.epochs} epoch(s) ...")
    subprocess.run([*py, "fit", "--config", str(cfg_path)], check=True)
    (run_dir,) = sorted((out / "logs").glob(f"{cfg['name']}_*"))[-1:]
    subprocess.run([*py, "test", "--config", str(run_dir / "config.yaml")], check=True)
    (pred,) = list((run_dir / "predictions").glob("*.h5"))
    ckpt = copy_backbone(run_dir, out)
    metrics = last_metrics(run_dir / "metrics.csv")
    card = model_card(
        preset=args.preset, sizes=sizes, parameters=parameter_count(ckpt), mixed=mixed, sources=sources,
        epochs=args.epochs, steps=metrics.get("steps", 0) + 1, batch_size=args.batch_size, metrics=metrics,
        val_accuracy=accuracy(pred, mixed.classes, cfg["name"]), wall_time_s=time.perf_counter() - t0, checkpoint=ckpt,
        run_dir=run_dir,
    )  # fmt: skip
    write_yaml(out / "model_card.yaml", card)
    print(f"wrote {ckpt}\nwrote {out / 'model_card.yaml'} (val accuracy {card['val_accuracy']:.3f}, "
          f"{card['parameters']:,} backbone parameters)")  # fmt: skip
    return 0
