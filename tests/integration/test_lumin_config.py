"""configs/lumin.yaml, lumin's head -> body -> tail with an endcap, trains and tests from the command line.

The config's matrix head is lumin's InteractionNet; the same model with lumin's RecurrentHead and a
ConvHead as matrix head also trains and tests (through the CLI entry point, in-process).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from halite.commands import main
from halite.data.prep import compute_class_dict, compute_norm_dict
from tests.conftest import CONFIGS, tiny_config

VARIANTS = {
    "RecurrentHead": {"depth": 1, "width": 16, "rnn": "lstm", "bidirectional": True},
    "ConvHead": {"blocks": [{"out_c": 16}, {"kind": "res", "out_c": 16}, {"kind": "resnext", "out_c": 16,
                 "inter_c": 4, "cardinality": 4, "stride": 2}], "pool": "avgmax"},
}  # fmt: skip


def lumin_config(tiny_data: dict[str, Path], out: Path, matrix_head: str | None = None) -> Path:
    variables = yaml.safe_load((CONFIGS / "lumin.yaml").read_text())["data"]["variables"]
    out.mkdir(parents=True, exist_ok=True)
    norm_path, class_path = out / "norm.yaml", out / "class.yaml"
    norm_path.write_text(yaml.safe_dump(compute_norm_dict(tiny_data["train"], variables)))
    class_path.write_text(yaml.safe_dump(compute_class_dict(tiny_data["train"], {"jets": ["flavour_label"]})))
    cfg = tiny_config("lumin.yaml", tiny_data, out, norm_dict=str(norm_path), class_dict=str(class_path))
    if matrix_head is not None:
        data = yaml.safe_load(cfg.read_text())
        head = {"class_path": f"halite.nn.lumin.{matrix_head}", "init_args": VARIANTS[matrix_head]}
        data["model"]["model"]["init_args"]["matrix_head"] = head
        cfg.write_text(yaml.safe_dump(data))
    return cfg


def check_predictions(run: Path, name: str = "lumin") -> None:
    (pred,) = list((run / "predictions").glob("*.h5"))
    with h5py.File(pred) as f:
        jets = f["jets"][:]
    assert len(jets) == 300
    probs = np.stack([jets[f"{name}_p{c}"] for c in "bcu"], axis=1)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    db = jets[f"{name}_Db"]  # the endcap's column: log(pb / (fc pc + (1 - fc) pu)), fc = 0.05
    expect = np.log((probs[:, 0] + 1e-10) / (0.05 * probs[:, 1] + 0.95 * probs[:, 2] + 1e-10))
    np.testing.assert_allclose(db, expect, rtol=1e-4, atol=1e-4)


def test_lumin_yaml_fit_then_test_from_the_command_line(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = lumin_config(tiny_data, tmp_path)
    for command in ("fit", "test"):
        if command == "test":
            (run,) = list((tmp_path / "logs").glob("*_*"))
            cfg = run / "config.yaml"
        done = subprocess.run(
            [sys.executable, "-m", "halite", command, "--config", str(cfg)],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stdout + done.stderr
    saved = yaml.safe_load(cfg.read_text())["model"]["model"]["init_args"]
    assert saved["matrix_head"]["class_path"].endswith(".InteractionNet")  # saved by its shortest path
    assert saved["head"]["class_path"].endswith(".CatEmbHead")
    check_predictions(run)


@pytest.mark.parametrize("matrix_head", sorted(VARIANTS))
def test_lumin_model_with_other_matrix_heads(
    matrix_head: str, tiny_data: dict[str, Path], tmp_path: Path
) -> None:
    cfg = lumin_config(tiny_data, tmp_path, matrix_head)
    main(["fit", "--config", str(cfg)])
    (run,) = list((tmp_path / "logs").glob("*_*"))
    main(["test", "--config", str(run / "config.yaml")])
    check_predictions(run)
