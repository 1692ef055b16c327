"""Continual configs from the CLI: every configs/continual/*.yaml parses and fits 2 tasks."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from halite.commands import main
from tests.conftest import CONFIGS

CONTINUAL = sorted(p.name for p in (CONFIGS / "continual").glob("*.yaml"))


def tiny_continual(name: str, data: dict[str, Path], out: Path, num_tasks: int = 2) -> Path:
    """``configs/continual/<name>`` cut to ``num_tasks`` tasks and 1 epoch, jets read from ``data``."""
    cfg = yaml.safe_load((CONFIGS / "continual" / name).read_text())
    sec = cfg["continual"]
    bench = sec["benchmark"]["init_args"]
    bench["tasks"] = bench["tasks"][:num_tasks]
    if bench.get("train_file"):
        bench.update(
            train_file=str(data["train"]),
            test_file=str(data["test"]),
            norm_dict=str(data["norm_dict"]),
            num_train=300,
            num_test=150,
        )
    if bench.get("target") in ("flavour", "pt"):  # DriftingJets generates its jets
        bench.update(num_train=300, num_test=200)
    sec["training"].update(epochs=1)
    algo_args = (sec.get("algorithm") or {}).get("init_args") or {}
    if "fisher_samples" in algo_args:
        algo_args["fisher_samples"] = 64
    sec["output_dir"] = str(out / "logs")
    path = out / f"tiny_{name}"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_continual_configs_exist() -> None:
    paradigms = {
        yaml.safe_load((CONFIGS / "continual" / c).read_text())["continual"]["paradigm"] for c in CONTINUAL
    }
    assert paradigms == {"til", "cil", "dil", "mtl", "stl"}


@pytest.mark.parametrize("config", CONTINUAL)
def test_every_continual_config_parses(
    config: str, tiny_data: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", str(CONFIGS / "continual" / config), "--print_config"])
    assert exc.value.code == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["continual"]["paradigm"] in ("til", "cil", "dil", "mtl", "stl")


@pytest.mark.parametrize("config", CONTINUAL)
def test_continual_fit_two_tasks(config: str, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_continual(config, tiny_data, tmp_path)
    assert main(["fit", "--config", str(cfg)]) == 0
    (run_dir,) = (tmp_path / "logs").glob("*_*")
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    paradigm = saved["continual"]["paradigm"]
    assert len(saved["continual"]["benchmark"]["init_args"]["tasks"]) == 2
    assert not list(run_dir.glob(".*.tmp"))
    if paradigm in ("mtl", "stl"):
        rows = _csv(run_dir / "task_accuracy.csv")
        assert [r["task"] for r in rows][-1] == "mean" and len(rows) == 3
        acc = [float(r["accuracy"]) for r in rows[:2]]
        assert all(0.6 < a <= 1.0 for a in acc)  # two-digit tasks are easy even after one epoch
        assert (run_dir / "task_accuracy.png").is_file()
    else:
        regression = saved["continual"].get("objective") == "regression"
        score = "resolution" if regression else "accuracy"
        matrix = _csv(run_dir / f"{score}_matrix.csv")
        assert len(matrix) == 2
        names = list(matrix[0])[1:]
        assert len(names) == 2 and matrix[0][names[1]] == ""
        acc = np.array([[float(r[n]) if r[n] else np.nan for n in names] for r in matrix])
        seen = acc[np.tril_indices(2)]
        if regression:  # a relative resolution: finite, > 0
            assert np.all(np.isfinite(seen) & (seen > 0))
        else:
            assert np.all((seen >= 0) & (seen <= 1))
        summary = _csv(run_dir / "summary.csv")
        assert [r["after_task"] for r in summary] == ["1", "2"]  # tasks counted from 1
        # the csv files hold values rounded to 6 decimals (each off by <= 5e-7): a mean of rounded values
        # against a rounded mean differs by <= 1e-6, a difference of two against a rounded one by <= 1.5e-6
        assert float(summary[1][f"average_{score}"]) == pytest.approx(np.nanmean(acc[1]), abs=1e-6 + 1e-12)
        fgt = _csv(run_dir / "forgetting.csv")
        lost = acc[1, 0] - acc[0, 0] if regression else acc[0, 0] - acc[1, 0]  # lower resolution is better
        assert float(fgt[0]["forgetting"]) == pytest.approx(lost, abs=1.5e-6 + 1e-12)
        for png in (f"{score}_matrix.png", f"average_{score}.png"):
            assert (run_dir / png).read_bytes()[:4] == b"\x89PNG"
    if paradigm == "stl":
        assert sorted(p.name for p in run_dir.glob("model_task*.pt")) == ["model_task1.pt", "model_task2.pt"]
    model = run_dir / ("model_task1.pt" if paradigm == "stl" else "model.pt")
    state = torch.load(model, weights_only=True)
    assert any(k.startswith("heads.") for k in state)
    if paradigm in ("til", "cil", "mtl"):  # one head per task, keyed by the task id from 1
        assert {k.split(".")[2] for k in state if k.startswith("heads.heads.")} == {"1", "2"}


def test_independent_does_not_forget_and_finetuning_cil_does(
    tmp_path: Path, tiny_data: dict[str, Path]
) -> None:
    acc = {}
    for algo in ("finetuning", "independent"):
        out = tmp_path / algo
        out.mkdir()
        main(["continual", "--config", str(tiny_continual(f"split_digits_cil_{algo}.yaml", tiny_data, out))])
        (run_dir,) = (out / "logs").glob("*_*")
        acc[algo] = _csv(run_dir / "forgetting.csv")[0]
    assert float(acc["independent"]["forgetting"]) == 0.0
    assert float(acc["finetuning"]["forgetting"]) > 0.5  # new classes' head takes over without protection


def test_continual_errors(tmp_path: Path, tiny_data: dict[str, Path]) -> None:
    cfg = yaml.safe_load(tiny_continual("split_digits_mtl.yaml", tiny_data, tmp_path).read_text())
    cfg["continual"]["algorithm"] = {"class_path": "halite.continual.algorithms.EWC"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match="EWC needs a task sequence; the 'mtl' paradigm"):
        main(["fit", "--config", str(bad)])
    cfg = yaml.safe_load(tiny_continual("split_digits_cil_finetuning.yaml", tiny_data, tmp_path).read_text())
    cfg["continual"]["paradigm"] = "dil"
    cfg["continual"]["benchmark"]["init_args"]["tasks"] = [{"classes": [0, 1]}, {"classes": [2, 3, 4]}]
    bad.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match="dil paradigm needs the same classes in every task"):
        main(["fit", "--config", str(bad)])


def test_continual_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["continual", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "halite continual" in out and "--continual.paradigm" in out


def test_console_entry_dispatches_fit_on_continual_config(
    tmp_path: Path, tiny_data: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tiny_continual("split_digits_til.yaml", tiny_data, tmp_path)
    monkeypatch.setattr(sys, "argv", ["halite", "fit", f"--config={cfg}"])
    assert main() == 0
    (run_dir,) = (tmp_path / "logs").glob("split_digits_til_*")
    assert len(_csv(run_dir / "accuracy_matrix.csv")) == 2
