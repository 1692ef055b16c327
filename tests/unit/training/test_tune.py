"""`halite tune`: a 4-trial Optuna study on a tiny config that resumes after an interruption."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
import yaml

from halite.commands import _build as build
from halite.commands import main
from halite.training import tune
from tests.conftest import CONFIGS, tiny_config

SPACE = {
    "model.lrs_config.max": {"low": 1.0e-4, "high": 1.0e-2, "log": True},
    "model.model.init_args.encoder.init_args.num_layers": {"low": 1, "high": 2},
    "data.batch_size": {"choices": [50, 100]},
}


def test_study_resumes_after_interruption(
    tiny_data: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path, num_train=200, num_val=100)
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    out = tmp_path / "tune"
    args = ["tune", "--config", str(cfg), "--space", str(space), "--trials", "4", "--out-dir", str(out)]
    args += ["--startup-trials", "2"]

    calls = []
    real_fit = build.fit_in_process

    def interrupted_fit(fit_args: list[str], callbacks: list[tune.PruneOnValLoss]) -> None:
        calls.append(fit_args)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C during the third trial
        real_fit(fit_args, callbacks)

    monkeypatch.setattr(build, "fit_in_process", interrupted_fit)
    with pytest.raises(KeyboardInterrupt):
        main(args)
    study = optuna.load_study(study_name=cfg.stem, storage=f"sqlite:///{out / 'study.db'}")
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE] * 2 + [optuna.trial.TrialState.FAIL]

    capsys.readouterr()
    assert main(args) == 0  # resumes: two more trials, not four
    printed = capsys.readouterr().out
    assert "Resuming study" in printed and "2 of 4 trials finished" in printed
    study = optuna.load_study(study_name=cfg.stem, storage=f"sqlite:///{out / 'study.db'}")
    finished = [t for t in study.trials if t.state != optuna.trial.TrialState.FAIL]
    assert len(finished) == 4 and len(calls) == 5
    # each trial ran with its sampled values in its own run directory
    assert f"--data.batch_size={finished[0].params['data.batch_size']}" in calls[0]
    assert (out / "trial_000").is_dir() and len(list((out / "trial_000").glob("*/ckpts/last.ckpt"))) == 1
    # the printed best config is a ready halite fit config with the best values
    best = yaml.safe_load((out / "best_config.yaml").read_text())
    assert best == yaml.safe_load(printed[printed.index("# best trial") :])
    enc = best["model"]["model"]["init_args"]["encoder"]["init_args"]
    assert enc["num_layers"] == study.best_params["model.model.init_args.encoder.init_args.num_layers"]
    assert best["model"]["lrs_config"]["max"] == study.best_params["model.lrs_config.max"]
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", str(out / "best_config.yaml"), "--print_config"])
    assert exc.value.code == 0


def test_bad_space(tmp_path: Path) -> None:
    bad = tmp_path / "space.yaml"
    bad.write_text(yaml.safe_dump({"model.lrs_config.max": {"low": 1.0, "high": 0.1}}))
    with pytest.raises(ValueError, match=r"'model.lrs_config.max' needs numbers low < high"):
        tune.load_space(bad)
    bad.write_text(yaml.safe_dump({"data.batch_size": {"choice": [1, 2]}}))
    with pytest.raises(ValueError, match=r"unknown fields \['choice'\]"):
        tune.load_space(bad)


def test_shipped_space_parses() -> None:
    params = tune.load_space(CONFIGS / "tune" / "demo_space.yaml")
    assert {p.key for p in params} >= {"model.lrs_config.max", "data.batch_size"}
    assert all(p.key.split(".")[0] in ("model", "data") for p in params)
