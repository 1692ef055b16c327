"""Point-cloud models from the CLI: every config fits and tests; pretraining -> fine-tuning; the grid."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from halite.commands import main
from halite.data.prep import compute_class_dict, compute_norm_dict
from halite.data.synthetic_points import generate_events, generate_particle_jets, write_sample_splits
from halite.training.grid import BACKBONE_ARGS
from halite.training.pretrained import load_backbone
from tests.conftest import CONFIGS

LABELS = {"events": {"events": ["pion_class"]}, "jets": {"jets": ["is_top"]}}
SAMPLE_OF = {
    "vit": "events",
    "cond_only": "events",
    "part": "jets",
    "pet2_small": "jets",
    "pet2_medium": "jets",
}


@pytest.fixture(scope="session")
def points_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("points")
    for sample, cfg in (("events", "vit.yaml"), ("jets", "part.yaml")):
        paths = write_sample_splits(root / sample, sample, 160, 64, 64, seed=3, slots=16)
        variables = yaml.safe_load((CONFIGS / cfg).read_text())["data"]["variables"]
        (root / sample / "norm_dict.yaml").write_text(
            yaml.safe_dump(compute_norm_dict(paths["train"], variables))
        )
        (root / sample / "class_dict.yaml").write_text(
            yaml.safe_dump(compute_class_dict(paths["train"], LABELS[sample]))
        )
    return root


def point_config(name: str, data: Path, out: Path, sample: str | None = None) -> Path:
    cfg = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    sample = sample or SAMPLE_OF[name]
    d = cfg["data"]
    for key in ("train", "val", "test"):
        d[f"{key}_file"] = str(data / sample / f"{key}.h5")
    d.update(
        {
            "norm_dict": str(data / sample / "norm_dict.yaml"),
            "class_dict": str(data / sample / "class_dict.yaml"),
        }
    )
    d.update({"batch_size": 32, "num_workers": 0, "num_inputs": {s: 16 for s in d["num_inputs"]}})
    cfg["trainer"] = {
        "max_epochs": 1,
        "accelerator": "cpu",
        "default_root_dir": str(out / "logs"),
        "enable_progress_bar": False,
    }
    if name == "pet2_medium":  # 51 M parameters: one training and one validation step show the config runs
        cfg["trainer"].update(limit_train_batches=1, limit_val_batches=1)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_samples_are_physical() -> None:
    ev = generate_events(3000, seed=1, num_hits=64)
    e, h = ev["events"], ev["hits"]
    assert set(np.unique(e["pion_class"])) == {0, 1, 2}
    assert np.corrcoef(e["available_energy"], e["total_deposit"])[0, 1] > 0.8
    assert (e["n_hits"] == h["valid"].sum(1)).all()
    assert not (np.diff(h["valid"].astype(int), axis=1) > 0).any()  # valid first
    pj = generate_particle_jets(3000, seed=1, num_particles=64)
    j = pj["jets"]
    top_m = np.median(j["mass"][j["is_top"] == 1])
    assert 160 < top_m < 190 and np.median(j["mass"][j["is_top"] == 0]) < 120
    p = pj["particles"]
    m2 = (np.where(p["valid"], p["energy"], 0).sum(1)) ** 2 - sum(
        np.where(p["valid"], p[c], 0).sum(1) ** 2 for c in ("px", "py", "pz")
    )
    np.testing.assert_allclose(np.sqrt(np.clip(m2, 0, None)), j["mass"], rtol=2e-2, atol=0.5)


@pytest.mark.parametrize("name", list(SAMPLE_OF))
def test_config_fits_and_tests(name: str, points_data: Path, tmp_path: Path) -> None:
    cfg = point_config(name, points_data, tmp_path)
    main(["fit", "--config", str(cfg)])
    (run,) = list((tmp_path / "logs").glob("*_*"))
    main(["test", "--config", str(run / "config.yaml")])
    (pred,) = list((run / "predictions").glob("*.h5"))
    glob = "events" if SAMPLE_OF[name] == "events" else "jets"
    with h5py.File(pred) as f:
        arr = f[glob][:]
    if glob == "events":  # the regression head's softplus keeps the available energy positive
        assert (arr[f"{name}_available_energy"] > 0).all()
    cols = [c for c in arr.dtype.names if c.startswith(f"{name}_p")]
    assert len(cols) == (3 if glob == "events" else 2)
    probs = np.stack([arr[c] for c in cols], 1)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    assert len(arr) == 64


def test_pretrain_then_finetune_with_report(
    points_data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pre = point_config("pet2_small", points_data, tmp_path / "pre")
    main(["fit", "--config", str(pre)])
    (run,) = list((tmp_path / "pre" / "logs").glob("*_*"))
    ckpt = run / "ckpts" / "last.ckpt"
    caplog.clear()
    # fine-tune on the other sample: different inputs -> embeddings mismatch, transformer blocks load
    cfg = point_config("pet2_small", points_data, tmp_path / "ft", sample="events")
    data = yaml.safe_load(cfg.read_text())
    data["data"]["global_object"] = "events"
    data["data"]["variables"] = yaml.safe_load((CONFIGS / "vit.yaml").read_text())["data"]["variables"]
    bb = data["model"]["model"]["init_args"]["backbone"]["init_args"]
    bb.pop("inputs")
    bb.update(BACKBONE_ARGS["PET2"]["events"])
    data["model"]["model"]["init_args"]["tasks"] = yaml.safe_load((CONFIGS / "vit.yaml").read_text())[
        "model"
    ]["model"]["init_args"]["tasks"]
    cfg.write_text(yaml.safe_dump(data))
    main(["fit", "--config", str(cfg), "--model.pretrained", str(ckpt), "--model.freeze_backbone", "true"])
    text = caplog.text  # rank-zero info (lightning.pytorch logger)
    assert "Pretrained weights:" in text and "backbone.body.embed.mlp.fc1.weight" in text
    (ft_run,) = list((tmp_path / "ft" / "logs").glob("*_*"))
    before = torch.load(ckpt, weights_only=True)["state_dict"]
    after = torch.load(ft_run / "ckpts" / "last.ckpt", weights_only=True)["state_dict"]
    key = "model.backbone.body.in_blocks.0.attn.in_proj_weight"
    torch.testing.assert_close(after[key], before[key])  # loaded and frozen
    assert not torch.equal(after["model.tasks.0.net.net.0.weight"][:, :4], torch.zeros(1))


def test_load_backbone_report_counts(points_data: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Pretrained checkpoint not found"):
        load_backbone(torch.nn.Linear(2, 2), tmp_path / "nope.ckpt")
    src = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    torch.save({"state_dict": {f"model.{k}": v for k, v in src.state_dict().items()}}, tmp_path / "a.ckpt")
    dst = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 2))
    report = load_backbone(dst, tmp_path / "a.ckpt")
    assert sorted(report.loaded) == ["0.bias", "0.weight"]
    assert len(report.mismatched) == 2 and sorted(report.missing) == ["1.bias", "1.weight"]
    torch.testing.assert_close(dst[0].weight, src[0].weight)


def test_grid_runs_and_tabulates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--models", "cond-only,vit", "--sample", "events", "--task", "classification", "--out-dir", str(tmp_path / "g"),
            "--data-dir", str(tmp_path / "d"), "--num-train", "120", "--num-eval", "60", "--max-epochs", "1", "--batch-size", "60"]  # fmt: skip
    assert main(["grid", *args]) == 0
    table = (tmp_path / "g" / "events_classification" / "results.md").read_text()
    assert "| cond-only |" in table and "| vit |" in table and "accuracy" in table
    assert (tmp_path / "g" / "events_classification" / "results.png").is_file()
    assert main(["grid", *args, "--submit", "slurm"]) == 0
    script = (tmp_path / "g" / "events_classification" / "vit" / "job.slurm").read_text()
    assert "#SBATCH --gpus-per-node=1" in script and "-m halite fit --config" in script
    with pytest.raises(ValueError, match="Unknown model 'nope'"):
        main(["grid", *args, "--models", "nope"])


def test_grid_regression_resolution(tmp_path: Path) -> None:
    args = ["--models", "cond-only", "--sample", "events", "--task", "regression", "--out-dir", str(tmp_path / "g"),
            "--data-dir", str(tmp_path / "d"), "--num-train", "120", "--num-eval", "60", "--max-epochs", "1", "--batch-size", "60"]  # fmt: skip
    assert main(["grid", *args]) == 0
    table = (tmp_path / "g" / "events_regression" / "results.md").read_text()
    assert "resolution" in table and "| cond-only |" in table
