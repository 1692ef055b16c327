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
    p.add_argument(
        "--config", required=True, help="config with a model.mup (or salt's model.mup_config) section"
    )
    p.add_argument("--check", action="store_true", help="also run the coordinate check")
    p.add_argument("--widths", type=int, nargs="+", default=None, help="coordinate-check widths")
    p.add_argument("--steps", type=int, default=3, help="coordinate-check optimiser steps")
    p.add_argument("--out-dir", type=Path, default=Path("mup_check"), help="coordinate-check outputs")
    return p


#: every muP block of ``model`` (halite's and salt's spellings), switched off to build plain models
NO_MUP = ["--model.mup=null", "--model.mup_config=null", "--model.muP_config=null"]


def read_config(config_path: str, extra: list[str]) -> tuple[Any, Any, dict[str, Any]]:
    """The muP set-up (``MupConfig``), the data module and the resolved config (dict, no muP) of a config."""
    import yaml

    from halite.commands._build import build_from_config
    from halite.training.mup import MupConfig, building_plain
    from halite.training.mup_widths import resolve

    with building_plain():
        cli = build_from_config(["--config", config_path, *NO_MUP, *extra])
    model = cli.parser.parse_args(["--config", config_path, *extra]).model
    raw = model.get("mup")
    mup = resolve(
        MupConfig(**{k: raw[k] for k in vars(raw)}) if raw is not None else None,
        model.get("mup_config"),
        model.get("muP_config"),
    )
    if mup is None:
        msg = (
            f"{config_path} has no muP set-up: add model.mup (shape_path, parameter_base, parameter_delta, ...) "
            f"or salt's model.mup_config."
        )
        raise ValueError(msg)
    resolved = yaml.safe_load(cli.parser.dump(cli.config, skip_none=False))
    resolved.pop("config", None)  # the file names: parsing them again would undo the width changes
    return mup, cli.datamodule, resolved


def build_model(config: dict[str, Any], width: int | None, mup: Any) -> Any:
    """The network of the resolved ``config`` with the scaled width set to ``width`` (muP not applied)."""
    import copy

    from halite.commands._build import build_from_config
    from halite.training.mup import building_plain
    from halite.training.mup_widths import scaled_config

    # a copy: the parser turns parts of the dict it is given into Namespaces
    cfg = copy.deepcopy(config) if width is None else scaled_config(config, mup, width)
    with building_plain():
        cli = build_from_config(cfg, save_config_callback=None)
    cli.datamodule.require_labels(cli.model.model.required_labels())
    return cli.model.model


def setup(config_path: str, extra: list[str]) -> dict[str, Any]:
    """Build the target, base and delta models of a config and write the base-shapes file.

    Returns ``mup`` (``MupConfig``), ``datamodule``, ``config`` (resolved, dict), ``target``,
    ``base``, ``delta`` and ``shape_path``.
    """
    from halite.training.mup import check_heads, write_base_shapes

    cfg, dm, resolved = read_config(config_path, extra)
    target = build_model(resolved, None, cfg)
    check_heads(target, cfg)
    base = build_model(resolved, cfg.parameter_base, cfg)
    delta = build_model(resolved, cfg.parameter_delta, cfg)
    shape_path = write_base_shapes(base, delta, cfg)
    print(f"Wrote muP base shapes to {shape_path} (base {cfg.parameter_base}, delta {cfg.parameter_delta}).")
    return {
        "mup": cfg, "datamodule": dm, "config": resolved, "target": target, "base": base, "delta": delta,
        "shape_path": shape_path,
    }  # fmt: skip


def split_extra(argv: list[str]) -> tuple[list[str], list[str]]:
    """The tool's own arguments and the config overrides after ``--``."""
    args_list = list(argv)
    if "--" in args_list:
        i = args_list.index("--")
        return args_list[:i], args_list[i + 1 :]
    return args_list, []


def main(argv: list[str]) -> int:
    """Entry point of ``halite mup-setup``."""
    args_list, extra = split_extra(argv)
    args = parser().parse_args(args_list)  # before the imports: `--help` and bad arguments stay fast
    from halite.training.mup import coord_check

    built = setup(args.config, extra)
    cfg, dm, target, resolved = built["mup"], built["datamodule"], built["target"], built["config"]
    if args.check:
        base_width = min(cfg.parameter_base, cfg.parameter_delta)
        widths = args.widths or [base_width, 2 * base_width, 4 * base_width]
        dm.require_labels(target.required_labels())
        batch = next(iter(dm.val_dataloader()))
        result = coord_check(
            lambda w: build_model(resolved, w, cfg), batch, cfg, args.out_dir, widths, args.steps
        )
        last = {n: [result["l1"][str(w)][n][-1] for w in widths] for n in result["l1"][str(widths[0])]}
        print(
            f"coordinate check written to {args.out_dir}/coord_check.png; mean |activation| at the last step:"
        )
        print("  " + " ".join(f"{w:>10d}" for w in widths) + "  block")
        for name, values in last.items():
            print("  " + " ".join(f"{v:10.4f}" for v in values) + f"  {name}")
    return 0
