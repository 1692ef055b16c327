"""``halite setup-mup``: salt's setup_mup: base/delta models, their configs and the muP base shapes in one folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite setup-mup",
        description=(
            "As salt's setup_mup: build the base and delta models of model.mup_config (parameter_base, "
            "parameter_delta), save them (base_model.pt, delta_model.pt), their configs (modbase.yaml, "
            "moddelta.yaml: no muP block or flags) and the base shapes (storeshapes) in shape_path, by default ./temp_mup/ "
            "(./temp_muP/ for muP_config). Arguments after `--` override the config."
        ),
    )
    p.add_argument(
        "-c", "-config", "--config", required=True, help="config with model.mup_config (or model.mup)"
    )
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``halite setup-mup``."""
    import torch
    import yaml

    from halite.commands.mup_setup import setup, split_extra
    from halite.io import atomic_path
    from halite.training.mup_widths import SALT_KEYS, scaled_config, set_all

    args_list, extra = split_extra(argv)
    args = parser().parse_args(args_list)
    built = setup(args.config, extra)
    cfg, folder = built["mup"], Path(built["shape_path"]).parent
    for kind, width in (("base", cfg.parameter_base), ("delta", cfg.parameter_delta)):
        model: Any = built[kind]
        with atomic_path(folder / f"{kind}_model.pt") as tmp:
            torch.save(model, tmp)
        out = scaled_config(built["config"], cfg, width)
        for key in ("mup", *SALT_KEYS):  # the plain networks: no muP block, no block flags
            out["model"].pop(key, None)
        for flag in ("mup", "muP"):
            set_all(out["model"]["model"]["init_args"], flag, False)
        with atomic_path(folder / f"mod{kind}.yaml") as tmp:
            tmp.write_text(yaml.safe_dump(out, sort_keys=False))
    print(f"Saved the base and delta models and their configs in {folder}.")
    return 0
