"""``configs/pythia_top_qcd.yaml`` end to end: ``halite synth-pythia`` -> ``prep`` -> ``fit`` -> ``test``.

The config's particle inputs are new variables (``data.new_variables``), so ``prep`` computes their
statistics from expressions and the reader evaluates them during training.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import yaml

from halite.commands import main
from tests.conftest import CONFIGS

ROOT = Path(__file__).resolve().parents[2]


def test_pythia_top_qcd_prep_fit_test(tmp_path: Path) -> None:
    data = tmp_path / "pythia_data" / "top_qcd"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    gen = ["--process", "top_qcd", "--num-jets", "60", "--num-constituents", "32", "--seed", "5"]
    proc = subprocess.run(
        [sys.executable, "-m", "halite", "synth-pythia", *gen, "--out-dir", str(data), "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr

    cfg = yaml.safe_load((CONFIGS / "pythia_top_qcd.yaml").read_text())
    d = cfg["data"]
    for key in ("train_file", "val_file", "test_file", "norm_dict", "class_dict"):
        d[key] = str(tmp_path / d[key])
    d.update({"batch_size": 16, "num_workers": 0, "num_inputs": {"particles": 32}})
    cfg["trainer"] = {
        "max_epochs": 1,
        "accelerator": "cpu",
        "default_root_dir": str(tmp_path / "logs"),
        "enable_progress_bar": False,
    }
    path = tmp_path / "pythia_top_qcd.yaml"
    path.write_text(yaml.safe_dump(cfg))

    assert main(["prep", "--config", str(path)]) == 0
    norm = yaml.safe_load((data / "norm_dict.yaml").read_text())
    for stream, names in d["new_variables"].items():
        for name in names:
            stats = norm[stream][name]
            assert math.isfinite(stats["mean"]) and stats["std"] > 0, (stream, name)
    assert norm["particles"]["log_pt_rel"]["mean"] < 0  # a constituent is softer than its jet

    main(["fit", "--config", str(path)])
    (run,) = list((tmp_path / "logs").glob("*_*"))
    assert (run / "ckpts" / "last.ckpt").is_file()
    main(["test", "--config", str(run / "config.yaml")])
    (pred,) = list((run / "predictions").glob("*.h5"))
    with h5py.File(pred) as f:
        jets = f["jets"][:]
    probs = np.stack([jets["pythia_top_qcd_pQCD"], jets["pythia_top_qcd_ptop"]], 1)
    assert len(jets) == 6
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
