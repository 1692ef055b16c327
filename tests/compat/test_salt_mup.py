"""salt's test_GN2_muP: ``run_combined(tmp_path, "GN2/GN2_muP.yaml", do_mup=True, do_onnx=False)``.

salt runs its muP set-up ``main_mup(args=args[1:-2])`` (the fit arguments without ``fit`` and the
last two: the run root and the offline logger), then the fit, then the test. halite:
``halite setup-mup <the same arguments>`` (base / delta models and the base-shapes file at the
config's ``mup_config.shape_path``, relative to the working directory as in salt), then
``halite fit`` and ``halite test`` with salt's arguments.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from halite.commands import main
from halite.io import read_yaml
from tests.compat.salt_dummy import write_dummy_file
from tests.compat.test_salt_pipeline import run_dir, salt_train_args

#: salt's run_train arguments: `fit` and 14 more; the rest are test_salt_pipeline's tiny overrides
SALT_ARGS = 15
TINY = ["--model.model.init_args.encoder.init_args.num_layers=1"]


def test_gn2_mup_setup_fit_and_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # salt's shape_path ./shape_mup is relative to the working directory
    args = salt_train_args(tmp_path, "GN2_muP.yaml") + TINY
    salt_args, tiny = args[:SALT_ARGS], args[SALT_ARGS:]
    assert salt_args[-1] == "--trainer.logger.init_args.online=False"

    assert main(["setup-mup", *salt_args[1:-2], *TINY]) == 0
    shapes = tmp_path / "shape_mup"  # the fit below fails without this file (muP base shapes)
    written = {p.name for p in shapes.iterdir()}
    assert {"storeshapes", "base_model.pt", "delta_model.pt", "modbase.yaml", "moddelta.yaml"} <= written
    assert "salt." not in (shapes / "modbase.yaml").read_text()  # halite's schema

    assert main([*salt_args, *tiny]) == 0
    run = run_dir(tmp_path)
    saved = read_yaml(run / "config.yaml")
    assert saved["model"]["mup_config"]["embed_dim"]["parameter_base"] == 256  # salt 0.13 spelling kept
    assert list((run / "ckpts").glob("*.ckpt"))

    test_file = tmp_path / "dummy_test_sample_inputs.h5"
    write_dummy_file(test_file, n_jets=100, seed=1)
    assert main(["test", f"--config={run / 'config.yaml'}", f"--data.test_file={test_file}",
                 "--data.num_test=100", "--data.batch_size=50"]) == 0  # fmt: skip
    (predictions,) = (run / "ckpts").glob("*.h5")  # beside the checkpoint, as salt writes it
    with h5py.File(predictions) as f:
        assert len(f["jets"]) == 100 and "GN2_pb" in f["jets"].dtype.names


def test_salt_main_mup_check_flag_points_to_halites_coordinate_check(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="halite mup-setup --config CONFIG --check"):
        main(["setup-mup", f"--config={tmp_path / 'GN2_muP.yaml'}", "--check"])
