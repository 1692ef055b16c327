"""Determinism: with seed_everything and deterministic mode, two CPU runs log identical losses step by step."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from halite.commands import main
from tests.reliability.runs import small_config, the_run


def step_losses(run: Path) -> list[tuple[int, str]]:
    with (run / "metrics.csv").open() as f:
        return [(int(r["step"]), r["train_loss_step"]) for r in csv.DictReader(f) if r.get("train_loss_step")]


def test_two_runs_identical_step_by_step(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    losses = []
    for name in ("a", "b"):
        out = tmp_path / name
        out.mkdir()
        cfg = small_config(tiny_data, out, ckpt_every_n_steps=0)
        data = yaml.safe_load(cfg.read_text())
        data["trainer"]["max_epochs"] = 1
        cfg.write_text(yaml.safe_dump(data))
        main(["fit", "--config", str(cfg)])
        losses.append(step_losses(the_run(out / "logs")))
    assert len(losses[0]) == 8  # every step logged (log_every_n_steps=1), dropout active
    assert losses[0] == losses[1]
