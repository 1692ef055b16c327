"""salt 0.13's own configs, from the command line, on files in salt's dummy layout (``tests/compat``).

The flows of salt's ``tests/test_pipeline.py``: ``halite fit --config=<salt config>`` with the
arguments salt's test passes (``--data.norm_dict``, ``--data.train_file``, ...,
``--trainer.logger.init_args.online=False``), then ``halite test`` on the run's saved config.
Extra tiny overrides (fewer jets, one encoder layer) keep each run to seconds on CPU. The configs
under ``configs/`` are salt's files as shipped (umami-hep/salt), data paths as placeholders.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import torch

from halite.commands import main
from halite.io import read_yaml
from tests.compat.salt_dummy import write_dummy_file, write_norm_and_class_dicts

CONFIGS = Path(__file__).parent / "configs"
#: salt's test gives GN2 a fourth (tau) class; the other configs read three
TAU_CONFIGS = {"GN2.yaml"}
ENCODER_CONFIGS = {"GN2.yaml", "GN2emu.yaml"}


def salt_train_args(tmp: Path, config: str, params: bool = False) -> list[str]:
    """salt's ``run_train`` arguments (files written in salt's dummy layout), then tiny overrides."""
    nd, cd, train = tmp / "dummy_norm_dict.yaml", tmp / "dummy_class_dict.yaml", tmp / "dummy_train_inputs.h5"
    write_norm_and_class_dicts(nd, cd)
    write_dummy_file(train, n_jets=300, taus=config in TAU_CONFIGS, params=params)
    args = [
        "fit",
        f"--config={CONFIGS / config}",
        f"--data.norm_dict={nd}",
        f"--data.class_dict={cd}",
        f"--data.train_file={train}",
        f"--data.val_file={train}",
        "--data.num_train=500",
        "--data.num_val=100",
        "--data.batch_size=20",
        "--data.num_workers=0",
        "--trainer.max_epochs=1",
        "--trainer.accelerator=cpu",
        "--trainer.devices=1",
        f"--trainer.default_root_dir={tmp}",
        "--trainer.logger.init_args.online=False",
        # tiny: fewer jets than salt's test, and one encoder layer
        "--data.num_train=100",
        "--data.num_val=40",
        "--trainer.precision=32",
    ]
    if config in ENCODER_CONFIGS:
        args.append("--model.model.init_args.encoder.init_args.num_layers=1")
    return args


def run_dir(tmp: Path) -> Path:
    runs = [d for d in tmp.iterdir() if d.is_dir() and (d / "config.yaml").is_file()]
    assert len(runs) == 1, runs
    return runs[0]


@pytest.mark.parametrize(
    "config",
    [
        "GN2.yaml",
        "GN2emu.yaml",
        "dips.yaml",
        "regression.yaml",
        "regression_gaussian.yaml",
        "no_global_inputs.yaml",
    ],
)
def test_salt_config_fits_and_tests_from_the_command_line(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(salt_train_args(tmp_path, config)) == 0
    out = capsys.readouterr().out
    assert "translated to halite's schema" in out
    assert "CometLogger without a Comet account" in out
    run = run_dir(tmp_path)
    saved = (run / "config.yaml").read_text()
    assert "salt." not in saved, "saved run configs are halite's schema"
    assert list((run / "ckpts").glob("*.ckpt"))

    test_file = tmp_path / "dummy_test_sample_inputs.h5"
    write_dummy_file(test_file, n_jets=100, seed=1, taus=config in TAU_CONFIGS)
    args = ["test", f"--config={run / 'config.yaml'}", f"--data.test_file={test_file}",
            "--data.num_test=100", "--data.batch_size=50", "--write_tracks=true"]  # fmt: skip
    assert main(args) == 0
    (predictions,) = (run / "ckpts").glob("*.h5")  # beside the checkpoint, as salt writes it
    with h5py.File(predictions) as f:
        assert len(f["jets"]) == 100
        if config.startswith("GN2"):
            assert len(f["tracks"]) == 100
    assert read_yaml(run / "config.yaml")["model"]["model"]["class_path"] == "halite.models.Model"


def test_dl1_fits_and_tests_through_a_halite_subprocess(tmp_path: Path) -> None:
    """salt's DL1 (global object only: no encoder, no pool_net), as a person runs it: `halite fit`, `halite test`."""

    def halite(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "halite", *args], capture_output=True, text=True, timeout=300, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stderr + done.stdout

    halite(*salt_train_args(tmp_path, "DL1.yaml"))
    run = run_dir(tmp_path)
    saved = read_yaml(run / "config.yaml")["model"]["model"]
    assert saved["class_path"] == "halite.models.Model"
    assert saved["init_args"].get("encoder") is None and saved["init_args"].get("pool_net") is None
    test_file = tmp_path / "dummy_test_sample_inputs.h5"
    write_dummy_file(test_file, n_jets=100, seed=1)
    halite("test", f"--config={run / 'config.yaml'}", f"--data.test_file={test_file}",
           "--data.num_test=100", "--data.batch_size=50", "--write_tracks=true")  # fmt: skip
    (predictions,) = (run / "ckpts").glob("*.h5")  # beside the checkpoint, as salt writes it
    with h5py.File(predictions) as f:
        assert len(f["jets"]) == 100


def test_param_concat_second_config_from_the_command_line(tmp_path: Path) -> None:
    """salt's test_param_concat: GN2.yaml, then ``--config=param_concat.yaml`` (gated GLU, parameters)."""
    args = salt_train_args(tmp_path, "GN2.yaml", params=True)
    args.insert(-4, f"--config={CONFIGS / 'param_concat.yaml'}")  # after salt's arguments, as salt's test
    args.append("--model.model.init_args.encoder.init_args.num_layers=1")
    assert main(args) == 0
    saved = read_yaml(run_dir(tmp_path) / "config.yaml")
    encoder = saved["model"]["model"]["init_args"]["encoder"]["init_args"]
    assert encoder["gated"] is True
    assert saved["data"]["variables"]["PARAMETERS"] == ["mass"]


def test_param_featurewise_second_config_from_the_command_line(tmp_path: Path) -> None:
    """salt's test_param_featurewise: GN2.yaml, then ``--config=param_featurewise.yaml``: salt's FiLM layers
    input (after the global variables), encoder (before every block) and global (the encoder output)."""
    args = salt_train_args(tmp_path, "GN2.yaml", params=True)
    args.insert(-4, f"--config={CONFIGS / 'param_featurewise.yaml'}")
    args += ["--model.model.init_args.encoder.init_args.num_layers=2", "--data.num_workers=0"]
    assert main(args) == 0
    saved = read_yaml(run_dir(tmp_path) / "config.yaml")["model"]["model"]["init_args"]
    layers = [(f["layer"], f["form"]) for f in saved["featurewise_nets"]]
    assert layers == [("input_with_global", "salt"), ("encoder_layers", "salt"), ("encoder", "salt")]
    assert saved["featurewise_nets"][1]["dense_config_scale"]["output_size"] == 256
    assert saved["encoder"]["init_args"]["num_layers"] == 2
    assert saved["encoder"]["init_args"]["drop_registers"] is False  # salt's default: registers pooled
    run = run_dir(tmp_path)
    (ckpt,) = (run / "ckpts").glob("last*.ckpt")
    state = torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]
    per_layer = {k.split(".")[3] for k in state if k.startswith("model.featurewise.1_layers.")}
    assert per_layer == {"0", "1"}  # one FiLM per encoder block

    test_file = tmp_path / "dummy_test_sample_inputs.h5"
    write_dummy_file(test_file, n_jets=100, seed=1, taus=True, params=True)
    args = ["test", f"--config={run / 'config.yaml'}", f"--data.test_file={test_file}",
            "--data.num_test=100", "--data.batch_size=50", "--data.num_workers=0"]  # fmt: skip
    assert main(args) == 0
    (predictions,) = (run / "ckpts").glob("*.h5")  # beside the checkpoint, as salt writes it
    with h5py.File(predictions) as f:
        assert len(f["jets"]) == 100
