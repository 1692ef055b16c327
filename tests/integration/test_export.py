"""Fit tiny models, export them to ONNX and check parity with PyTorch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import yaml

from halite.commands import main
from halite.export.metadata import read_metadata
from tests.conftest import tiny_config
from tests.integration.test_advanced_configs import extra_data, small_config, write  # noqa: F401


def fit(config: str, tiny_data: dict[str, Path], tmp_path: Path) -> Path:
    cfg = tiny_config(config, tiny_data, tmp_path, num_train=300, num_val=100)
    main(["fit", "--config", str(cfg)])
    (run,) = list((tmp_path / "logs").glob("*_*"))
    return run


@pytest.fixture(scope="module")
def gn2_run(tiny_data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fit("GN2.yaml", tiny_data, tmp_path_factory.mktemp("gn2"))


def test_export_gn2_jet_and_track_tasks_with_parity(
    gn2_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = gn2_run / "ckpts" / "last.ckpt"
    out = gn2_run / "network.onnx"
    code = main(
        [
            "export",
            "--ckpt_path",
            str(ckpt),
            "--tasks",
            "jets_classification",
            "track_origin",
            "--parity-jets",
            "100",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "Parity check passed" in text
    meta = read_metadata(out)
    assert meta["outputs"][:3] == ["GN2_pb", "GN2_pc", "GN2_pu"]
    assert "GN2_pFromB" in meta["outputs"]
    assert meta["inputs"]["track_features"]["variables"][0] == "d0"
    assert meta["class_names"]["jets_classification"] == ["bjets", "cjets", "ujets"]
    assert set(meta["norm_dict"]) == {"jets", "tracks"}
    assert meta["config"]["data"]["variables"]["jets"] == ["pt_btagJes", "eta_btagJes"]
    # a jet without tracks: finite probabilities summing to one
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    jets = np.array([[50e3, 0.5]], dtype=np.float32)
    tracks = np.zeros((1, 0, len(meta["inputs"]["track_features"]["variables"])), dtype=np.float32)
    res = dict(zip(meta["outputs"], sess.run(None, {"jet_features": jets, "track_features": tracks})))
    probs = np.array([res[f"GN2_p{c}"][0] for c in "bcu"])
    assert np.isfinite(probs).all() and probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert res["GN2_pFromB"].shape == (1, 0)
    # refuses to overwrite without --force; --show prints the metadata
    assert main(["export", "--ckpt_path", str(ckpt)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["export", "--show", str(out)]) == 0
    shown = capsys.readouterr().out
    assert json.loads(shown[: shown.rindex("}") + 1])["model_name"] == "GN2"


def test_export_unknown_task_and_missing_checkpoint(gn2_run: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"Unknown task\(s\) \['nope'\]"):
        main(
            [
                "export",
                "--ckpt_path",
                str(gn2_run / "ckpts" / "last.ckpt"),
                "-o",
                str(tmp_path / "x.onnx"),
                "--tasks",
                "nope",
            ]
        )
    with pytest.raises(ValueError, match=r"Did you mean 'jets_classification'\?"):
        args = ["export", "--ckpt_path", str(gn2_run / "ckpts" / "last.ckpt"), "-o", str(tmp_path / "x.onnx")]
        main([*args, "--tasks", "jet_classification"])
    with pytest.raises(FileNotFoundError, match="No config.yaml found"):
        main(["export", "--ckpt_path", str(tmp_path / "missing.ckpt")])


def test_test_then_evaluate_the_demo_model(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    run = fit("demo.yaml", tiny_data, tmp_path)
    main(["test", "--config", str(run / "config.yaml"), "--write_tracks", "true"])
    (pred,) = list((run / "predictions").glob("*.h5"))
    assert main(["evaluate", str(pred), "--tagger", "demo", "--out", str(tmp_path / "rep")]) == 0
    summary = json.loads((tmp_path / "rep" / "summary.json").read_text())
    assert "track_origin" in summary["tasks"] and "jets_classification" in summary["tasks"]
    assert (tmp_path / "rep" / "confusion_track_origin.png").is_file()


def test_export_regression_config(
    tiny_data: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = fit("regression.yaml", tiny_data, tmp_path)
    name = yaml.safe_load((run / "config.yaml").read_text())["name"]
    assert main(["export", "--ckpt_path", str(run / "ckpts" / "last.ckpt"), "--parity-jets", "100"]) == 0
    assert "Parity check passed" in capsys.readouterr().out
    meta = read_metadata(run / "network.onnx")
    assert f"{name}_pt_truth" in meta["outputs"]
    # de-scaled output in physical units (MeV): positive and of jet-pt size
    sess = ort.InferenceSession(str(run / "network.onnx"), providers=["CPUExecutionProvider"])
    n_trk = len(meta["inputs"]["track_features"]["variables"])
    feeds = {
        "jet_features": np.array([[80e3, 0.3]], dtype=np.float32),
        "track_features": np.zeros((1, 3, n_trk), np.float32),
    }
    (pt,) = sess.run([f"{name}_pt_truth"], feeds)
    assert np.isfinite(pt).all() and pt[0] > 1e3


def test_export_tracks_and_electrons(
    extra_data: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = small_config("GN2emu.yaml", extra_data, tmp_path)
    write(cfg, tmp_path / "cfg.yaml")
    main(["fit", "--config", str(tmp_path / "cfg.yaml")])
    (run,) = list((tmp_path / "logs").glob("*_*"))
    assert main(["export", "--ckpt_path", str(run / "ckpts" / "last.ckpt"), "--parity-jets", "100"]) == 0
    out = capsys.readouterr().out
    assert "Parity check passed" in out
    meta = read_metadata(run / "network.onnx")
    assert set(meta["inputs"]) == {"jet_features", "track_features", "electron_features"}


def without_data(run: Path, tmp_path: Path, splits: tuple[str, ...]) -> Path:
    """A copy of the run's config whose ``data.<split>_file`` are not on this machine."""
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    for split in splits:
        cfg["data"][f"{split}_file"] = str(tmp_path / f"gone_{split}.h5")
    path = tmp_path / f"config_without_{'_'.join(splits)}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def halite_export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "halite", "export", *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("missing", [("test",), ("test", "val", "train")])
def test_export_from_a_checkpoint_alone_through_the_command_line(
    missing: tuple[str, ...], gn2_run: Path, tmp_path: Path
) -> None:
    """The run's data files are gone: the parity check uses the val file, else jets sampled from the norm dict."""
    cfg = without_data(gn2_run, tmp_path, missing)
    out = tmp_path / "net.onnx"
    done = halite_export(
        "--ckpt_path", str(gn2_run / "ckpts" / "last.ckpt"), "--config", str(cfg), "-o", str(out),
        "--parity-jets", "200",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    text = done.stdout + done.stderr
    assert "Traceback" not in text
    assert f"data.test_file {tmp_path / 'gone_test.h5'} not found" in done.stdout
    if missing == ("test",):
        assert "Parity check on real jets from data.val_file" in done.stdout
        assert "Parity check (200 real jets from data.val_file" in done.stdout
    else:
        assert "data.train_file" in done.stdout.split("Parity data:")[1].splitlines()[0]
        assert "Parity check on 200 jets sampled from the norm dict" in done.stdout
        assert "tracks Poisson mean 13 of 40" in done.stdout
        assert "Parity check (200 sampled jets from the norm dict" in done.stdout
    assert "Parity check passed" in done.stdout
    assert read_metadata(out)["model_name"] == "GN2"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".yaml") == ["net.onnx"]


def test_failed_parity_check_leaves_no_file(
    gn2_run: Path, tiny_data: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = without_data(gn2_run, tmp_path, ("test", "val", "train"))
    out = tmp_path / "net.onnx"
    args = [
        "export",
        "--ckpt_path",
        str(gn2_run / "ckpts" / "last.ckpt"),
        "--config",
        str(cfg),
        "-o",
        str(out),
    ]
    assert main([*args, "--data", str(tiny_data["test"]), "--parity-jets", "50", "--tolerance", "0"]) == 1
    captured = capsys.readouterr()
    assert "Parity check on real jets from --data" in captured.out
    assert "parity check failed: max difference" in captured.err
    assert f"> --tolerance 0e+00; nothing written to {out}" in captured.err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [cfg.name]  # no temporary file left either
    with pytest.raises(FileNotFoundError, match="gone.h5"):
        main([*args, "--data", str(tmp_path / "gone.h5")])
    assert not out.exists()
