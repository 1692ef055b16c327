"""``halite mup-setup``: write the muP base-shapes file; --check: coordinate check."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite mup-setup",
        description="Write the muP base-shapes file of a config's model.mup section; --check runs the "
        "coordinate check. Arguments after `--` override the config.",
    )
    p.add_argument("--config", required=True, help="halite config with a model.mup section")
    p.add_argument("--check", action="store_true", help="also run the coordinate check")
    p.add_argument("--widths", type=int, nargs="+", default=None, help="coordinate-check widths")
    p.add_argument("--steps", type=int, default=3, help="coordinate-check optimiser steps")
    p.add_argument("--out-dir", type=Path, default=Path("mup_check"), help="coordinate-check outputs")
    return p


def read_config(config_path: str, extra: list[str]) -> tuple[Any, Any]:
    """The ``model.mup`` section (``MupConfig``) and the data module of a config."""
    from halite.commands._build import build_from_config
    from halite.training.mup import MupConfig

    cli = build_from_config(["--config", config_path, "--model.mup=null", *extra])
    raw = cli.parser.parse_args(["--config", config_path, *extra]).model.get("mup")
    if raw is None:
        msg = f"{config_path} has no model.mup section (shape_path, parameter_base, parameter_delta, ...)."
        raise ValueError(msg)
    return MupConfig(**{k: raw[k] for k in vars(raw)}), cli.datamodule


def build_model(config_path: str, width: int | None, mup: Any, extra: list[str]) -> Any:
    """The network of ``config_path`` with the scaled width set to ``width`` (muP not applied)."""
    from halite.commands._build import build_from_config

    args = ["--config", config_path, "--model.mup=null", *extra]
    if width is not None:
        args.append(f"--{mup.width_key}={width}")
    cli = build_from_config(args, save_config_callback=None)
    cli.datamodule.require_labels(cli.model.model.required_labels())
    return cli.model.model


def main(argv: list[str]) -> int:
    """Entry point of ``halite mup-setup``."""
    from halite.training.mup import check_heads, coord_check, write_base_shapes

    args_list = list(argv)
    extra: list[str] = []
    if "--" in args_list:
        i = args_list.index("--")
        args_list, extra = args_list[:i], args_list[i + 1 :]
    args = parser().parse_args(args_list)
    cfg, dm = read_config(args.config, extra)
    target = build_model(args.config, None, cfg, extra)
    check_heads(target, cfg)
    base = build_model(args.config, cfg.parameter_base, cfg, extra)
    delta = build_model(args.config, cfg.parameter_delta, cfg, extra)
    shape_path = write_base_shapes(base, delta, cfg)
    print(f"Wrote muP base shapes to {shape_path} (base {cfg.parameter_base}, delta {cfg.parameter_delta}).")
    if args.check:
        base_width = min(cfg.parameter_base, cfg.parameter_delta)
        widths = args.widths or [base_width, 2 * base_width, 4 * base_width]
        dm.require_labels(target.required_labels())
        batch = next(iter(dm.val_dataloader()))
        result = coord_check(
            lambda w: build_model(args.config, w, cfg, extra), batch, cfg, args.out_dir, widths, args.steps
        )
        last = {n: [result["l1"][str(w)][n][-1] for w in widths] for n in result["l1"][str(widths[0])]}
        print(
            f"coordinate check written to {args.out_dir}/coord_check.png; mean |activation| at the last step:"
        )
        print("  " + " ".join(f"{w:>10d}" for w in widths) + "  block")
        for name, values in last.items():
            print("  " + " ".join(f"{v:10.4f}" for v in values) + f"  {name}")
    return 0
