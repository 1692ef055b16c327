"""A real 2-process DDP fit on CPU (gloo): sharding, equal batch counts, reduced metrics, rank-0 files."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import yaml

from halite.cli import HaliteCLI
from halite.data.datamodule import JetDataModule
from halite.training.callbacks.performance_writer import read_performance
from halite.training.module import LitModel
from tests.conftest import ROOT, tiny_config


def test_two_process_ddp_fit(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg_path = tiny_config("demo.yaml", tiny_data, tmp_path, num_train=601)
    cfg = yaml.safe_load(cfg_path.read_text())
    seen = tmp_path / "seen"
    perf = tmp_path / "perf"
    cfg["trainer"].update({"devices": 2, "strategy": "ddp", "max_epochs": 2})
    cfg["trainer"]["callbacks"] = [
        {"class_path": "tests.integration.ddp_probe.SeenJets", "init_args": {"out_dir": str(seen)}},
        {
            "class_path": "halite.training.callbacks.performance_writer.PerformanceWriter",
            "init_args": {"dir_path": str(perf), "stdout": True},
        },
    ]
    cfg_path.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HALITE_RUN_STAMP", None)
    proc = subprocess.run(
        [sys.executable, "-m", "halite", "fit", "--config", str(cfg_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    # every jet exactly once per epoch over the two ranks, and the same number of batches on each
    with h5py.File(tiny_data["train"]) as f:
        expected = np.sort(f["jets"]["pt_btagJes"][:601])
    for epoch in range(2):
        parts = [np.load(seen / f"rank{r}_epoch{epoch}.npz") for r in range(2)]
        assert len(parts[0]["sizes"]) == len(parts[1]["sizes"]) == 4  # 300 jets split to match 301
        assert set(parts[0]["pts"]).isdisjoint(parts[1]["pts"])
        np.testing.assert_array_equal(np.sort(np.concatenate([p["pts"] for p in parts])), expected)

    # rank 0 alone wrote one run directory
    (run_dir,) = list((tmp_path / "logs").iterdir())
    assert sorted(p.name for p in (run_dir / "ckpts").iterdir())[-1] == "last.ckpt"
    assert len(list((run_dir / "ckpts").glob("epoch=*.ckpt"))) == 2

    # PerformanceWriter: file and scrape-able stdout lines from rank 0 only
    records = read_performance(perf / "performance.json")
    assert [r["epoch"] for r in records] == [0, 1]
    assert {"train_loss", "val_loss", "val/jets_classification_loss", "val/track_origin_loss"} <= set(
        records[0]
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("epoch=")]
    assert len(lines) == 2
    assert f"val_loss={records[1]['val_loss']}" in lines[1].split()
    assert "val_track_origin_loss=" in lines[1]

    # validation loss reduced over both ranks == single-process validation of the same weights
    with (run_dir / "metrics.csv").open() as f:
        val = [float(r["val_loss"]) for r in csv.DictReader(f) if r.get("val_loss")]
    assert records[1]["val_loss"] == val[-1]
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    for key in ("ckpt_path", "weights_only"):
        saved.pop(key, None)
    (tmp_path / "saved.yaml").write_text(yaml.safe_dump(saved))
    cli = HaliteCLI(
        LitModel,
        JetDataModule,
        args=[
            "--config",
            str(tmp_path / "saved.yaml"),
            "--trainer.devices=1",
            "--trainer.strategy=auto",
            "--trainer.callbacks=null",
            "--trainer.logger=false",
        ],
        run=False,
        save_config_callback=None,
        auto_configure_optimizers=False,
    )
    (single,) = cli.trainer.validate(
        cli.model, cli.datamodule, ckpt_path=str(run_dir / "ckpts" / "last.ckpt")
    )
    np.testing.assert_allclose(single["val_loss"], val[-1], rtol=1e-5)
