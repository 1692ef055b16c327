"""``halite continual``: train a task sequence: continual (til/cil/dil) or mtl/stl.

``halite fit`` on a config with a top-level ``continual`` section runs this tool too. The run
directory ``<continual.output_dir>/<name>_<time>/`` gets the resolved ``config.yaml``, the
metrics, the checkpoints and the final model (see :mod:`halite.continual.run` and
:mod:`halite.continual.sequence`). ``--ckpt_path last`` continues a stopped run: the one whose
``config.yaml`` is passed with ``--config``, else the newest ``<output_dir>/<name>_*``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any


def parser() -> Any:
    """The jsonargparse parser of continual configs."""
    from jsonargparse import ActionConfigFile, ArgumentParser

    from halite.continual.run import ContinualRun

    p = ArgumentParser(
        prog="halite continual",
        description="Train a task sequence (continual learning) or several tasks jointly (mtl/stl).",
        parser_mode="yaml",
    )
    p.add_argument("--config", action=ActionConfigFile, help="YAML config with a `continual` section.")
    p.add_argument("--name", type=str, default="continual", help="Run name (run directory prefix).")
    p.add_argument("--seed_everything", type=int, default=0, help="Seed of torch and numpy.")
    p.add_argument(
        "--ckpt_path",
        type=str | None,
        default=None,
        help="'last' resumes the run of --config <run>/config.yaml (else the newest <output_dir>/<name>_*); "
        "or a path inside a continual run directory.",
    )
    p.add_class_arguments(ContinualRun, "continual")
    return p


def resume_dir(ckpt_path: str, config_files: list[str], output_dir: str, name: str) -> Path:
    """The run directory ``--ckpt_path`` continues."""
    from halite.errors import CheckpointNotFound

    if ckpt_path != "last":
        p = Path(ckpt_path).resolve()
        for d in (p, *p.parents):
            if (d / "config.yaml").is_file() and (d / "ckpts").is_dir():
                return d
        msg = f"--ckpt_path {ckpt_path} is not inside a continual run directory (one with config.yaml and ckpts/)."
        raise CheckpointNotFound(msg)
    for cfg in reversed(config_files):
        d = Path(cfg).parent
        if (d / "ckpts").is_dir():
            return d
    runs = sorted(
        (d for d in Path(output_dir).glob(f"{name}_*") if (d / "ckpts").is_dir()),
        key=lambda d: d.stat().st_mtime,
    )
    if not runs:
        msg = (
            f"--ckpt_path last: no continual run to resume in {output_dir}/{name}_*/ckpts. Start a new run without "
            f"--ckpt_path, or pass --config <run>/config.yaml of the run to continue."
        )
        raise CheckpointNotFound(msg)
    return runs[-1]


def main(argv: list[str]) -> int:
    """Entry point of ``halite continual``; prints the run directory and the final metrics."""
    from halite.commands import _help_cache

    helping = _help_cache.help_requested(argv)
    if helping and _help_cache.print_cached_help("continual"):
        raise SystemExit(0)  # the kept text of an unchanged parser: no torch import
    p = parser()
    with _help_cache.recording("continual") if helping else contextlib.nullcontext():
        cfg = p.parse_args(argv)
    import numpy as np
    import torch

    from halite.cli.app import export_run_stamp, run_stamp
    from halite.cli.checks import quiet_lightning
    from halite.continual.run import ContinualRun, is_rank_zero
    from halite.io import atomic_path

    quiet_lightning()
    torch.manual_seed(cfg.seed_everything)
    np.random.seed(cfg.seed_everything)
    init: Any = p.instantiate_classes(cfg)
    run: ContinualRun = init.continual
    resume = cfg.ckpt_path is not None
    if resume:
        files = [str(c) for c in (cfg.get("config") or [])]
        run_dir = resume_dir(cfg.ckpt_path, files, run.output_dir, cfg.name)
    else:
        # every rank of a distributed run (started by Lightning with the same environment) uses rank 0's stamp
        stamp = run_stamp()
        run_dir = Path(run.output_dir) / f"{cfg.name}_{stamp}"
        if is_rank_zero():
            k = 1
            while run_dir.exists():
                run_dir, k = Path(run.output_dir) / f"{cfg.name}_{stamp}-{k}", k + 1
            export_run_stamp(run_dir.name[len(cfg.name) + 1 :])
            run_dir.mkdir(parents=True)
            save = cfg.clone()
            save.ckpt_path = None
            with atomic_path(run_dir / "config.yaml") as tmp:
                tmp.write_text(p.dump(save, skip_none=False))
    summary = run.run(run_dir, resume=resume)
    if is_rank_zero():
        print(f"run directory: {run_dir}")
        print("final: " + ", ".join(f"{k} {v:.4f}" for k, v in summary.items()))
    return 0
