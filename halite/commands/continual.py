"""``halite continual``: train a task sequence: continual (til/cil/dil) or mtl/stl.

``halite fit`` on a config with a top-level ``continual`` section runs this tool too. The run
directory ``<continual.output_dir>/<name>_<time>/`` gets the resolved ``config.yaml``, the
metrics and the final model (see :mod:`halite.continual.run`).
"""

from __future__ import annotations

import contextlib
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
    p.add_class_arguments(ContinualRun, "continual")
    return p


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

    from halite.continual.run import ContinualRun, new_run_dir
    from halite.io import atomic_path

    torch.manual_seed(cfg.seed_everything)
    np.random.seed(cfg.seed_everything)
    init: Any = p.instantiate_classes(cfg)
    run: ContinualRun = init.continual
    run_dir = new_run_dir(run.output_dir, cfg.name)
    with atomic_path(run_dir / "config.yaml") as tmp:
        tmp.write_text(p.dump(cfg, skip_none=False))
    summary = run.run(run_dir)
    print(f"run directory: {run_dir}")
    print("final: " + ", ".join(f"{k} {v:.4f}" for k, v in summary.items()))
    return 0
