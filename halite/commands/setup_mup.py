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
            "(./temp_muP/ for muP_config). Further arguments (salt's main_muP form `--data.train_file=...`, or "
            "after `--`) override the config; a salt config is translated as by `halite fit`."
        ),
    )
    p.add_argument(
        "-c", "-config", "--config", required=True, help="config with model.mup_config (or model.mup)"
    )
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``halite setup-mup``."""
    from halite.commands.mup_setup import split_extra

    args_list, extra = split_extra(argv)
    args, overrides = parser().parse_known_args(args_list)  # before the imports: `--help` stays fast
    for flag in ("--check", "--runFit"):
        if flag in overrides:
            msg = (
                f"halite setup-mup: salt's main_muP {flag} (coordinate check / its training) is "
                f"`halite mup-setup --config CONFIG --check`; remove {flag}."
            )
            raise SystemExit(msg)
    import torch
    import yaml

    from halite.commands.mup_setup import setup
    from halite.io import atomic_path
    from halite.training.mup_widths import SALT_KEYS, scaled_config, set_all

    config, extra = salt_or_halite(args.config, [*overrides, *extra])
    built = setup(config, extra)
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


def salt_or_halite(config: str, overrides: list[str]) -> tuple[str, list[str]]:
    """``(config, overrides)`` to build from: a salt config's halite translation, else unchanged.

    As ``halite fit``: salt's base.yaml, the config and the ``--data.* / --model.* / --trainer.*``
    overrides are merged as salt merges them and translated (``halite.compat``).
    """
    from halite.commands._lightning import translate_salt_args

    translated = translate_salt_args("fit", [f"--config={config}", *overrides])
    if translated is None:
        return config, overrides
    return translated[0].split("=", 1)[1], translated[1:]
