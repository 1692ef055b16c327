"""salt 0.13's GN3 configs (``GN3v01/GN3V00.yaml``, ``GN3V01.yaml``) from the command line.

salt's ``test_GN3V00`` / ``test_GN3V01``: ``run_combined(..., is_gn3=True)``, i.e. ``halite fit`` with
the arguments of salt's ``run_train`` on files in salt's GN3 dummy layout (six flavour classes), then
``halite test`` from the run's saved config with ``write_tracks``. Tiny overrides (fewer jets, one
encoder layer, 32-bit precision on CPU) as in ``test_salt_pipeline.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import pytest

from halite.commands import main
from halite.io import read_yaml
from tests.compat.salt_dummy import GN3_CLASSES, write_dummy_file, write_norm_and_class_dicts
from tests.compat.test_salt_pipeline import run_dir, salt_train_args

HALITE_GN3 = Path(__file__).parents[2] / "configs" / "GN3.yaml"


def gn3_train_args(tmp: Path, config: str) -> list[str]:
    """salt's ``run_train`` arguments with the files in salt's GN3 layout (``is_gn3=True``)."""
    args = salt_train_args(tmp, config)
    write_norm_and_class_dicts(tmp / "dummy_norm_dict.yaml", tmp / "dummy_class_dict.yaml", gn3=True)
    write_dummy_file(tmp / "dummy_train_inputs.h5", n_jets=300, gn3=True)
    return [*args, "--model.model.init_args.encoder.init_args.num_layers=2"]


@pytest.mark.parametrize("config", ["GN3V00.yaml", "GN3V01.yaml"])
def test_gn3_fits_and_tests_from_the_command_line(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = time.perf_counter()
    assert main(gn3_train_args(tmp_path, config)) == 0
    seconds = time.perf_counter() - start
    assert "translated to halite's schema" in capsys.readouterr().out
    print(f"{config} fit: {seconds:.1f} s")
    run = run_dir(tmp_path)
    saved = read_yaml(run / "config.yaml")
    assert "salt." not in (run / "config.yaml").read_text()
    assert saved["model"]["optimizer"] == "lion" and saved["model"]["loss_mode"] == "GLS"
    encoder = saved["model"]["model"]["init_args"]["encoder"]["init_args"]
    assert encoder["num_registers"] == 8 and encoder["gated"] is True
    assert [n["input_name"] for n in saved["model"]["model"]["init_args"]["init_nets"]] == (
        ["tracks", "flows", "electrons"] if config == "GN3V01.yaml" else ["tracks", "flows"]
    )
    if config == "GN3V01.yaml":
        assert encoder["norm_type"] == "hybrid" and encoder["norm"] == "RMSNorm"
        assert saved["data"]["variables"]["GLOBAL"] == ["pt_btagJes", "eta_btagJes"]

    test_file = tmp_path / "dummy_test_sample_inputs.h5"
    write_dummy_file(test_file, n_jets=100, seed=1, gn3=True)
    args = ["test", f"--config={run / 'config.yaml'}", f"--data.test_file={test_file}",
            "--data.num_test=100", "--data.batch_size=50", "--write_tracks=true"]  # fmt: skip
    assert main(args) == 0
    (predictions,) = (run / "ckpts").glob("*.h5")  # beside the checkpoint, as salt writes it
    name = saved["name"]
    with h5py.File(predictions) as f:
        jets = f["jets"]
        assert len(jets) == 100
        # salt writes constituents under their dataset name (input_map: tracks -> tracks_ghost)
        assert len(f["tracks_ghost"]) == 100
        columns = set(jets.dtype.names)
        # classes without an ftag flavour entry: salt's p<class name>; regression: <model>_<target>
        expected = {f"{name}_p{c}" for c in GN3_CLASSES} | {f"{name}_ptFromTruthDressedWZJet"}
        if config == "GN3V01.yaml":
            expected |= {f"{name}_p{c}" for c in ("bquark", "antibquark", "other")}
        assert expected <= columns, sorted(expected - columns)
        track_columns = set(f["tracks_ghost"].dtype.names)
        track_type = {f"{name}_p{c}" for c in ("NoTruth", "Other", "Pion", "Kaon", "Electron", "Muon")}
        assert track_type | {f"{name}_pFromB", "VertexIndex"} <= track_columns, sorted(track_columns)


def test_halite_gn3_config_trains_on_salts_gn3_layout(tmp_path: Path) -> None:
    """``configs/GN3.yaml`` (halite's schema) builds and fits on files in salt's GN3 layout."""
    nd, cd, train = tmp_path / "norm.yaml", tmp_path / "class.yaml", tmp_path / "train.h5"
    write_norm_and_class_dicts(nd, cd, gn3=True)
    write_dummy_file(train, n_jets=200, gn3=True)
    args = ["fit", f"--config={HALITE_GN3}", f"--data.norm_dict={nd}", f"--data.class_dict={cd}",
            f"--data.train_file={train}", f"--data.val_file={train}", "--data.num_train=60",
            "--data.num_val=20", "--data.batch_size=20", "--data.num_workers=0", "--trainer.max_epochs=1",
            f"--trainer.default_root_dir={tmp_path}", "--model.model.init_args.encoder.init_args.num_layers=2"]  # fmt: skip
    assert main(args) == 0
    saved = read_yaml(run_dir(tmp_path) / "config.yaml")
    assert saved["model"]["optimizer"] == "lion" and saved["model"]["loss_mode"] == "GLS"
    assert saved["name"] == "GN3"
