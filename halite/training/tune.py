"""`halite tune`: hyperparameter search over config keys with Optuna.

TPE sampler, median pruner on the validation loss, and an SQLite study so that an
interrupted search resumes where it stopped (trials left running by a killed process are
failed by Optuna's heartbeat and retried). Each trial is an ordinary ``halite fit`` with
the sampled values as command-line overrides, in ``<out-dir>/trial_<n>/``.

The space file maps config keys to ranges or choices::

    model.lrs_config.max: {low: 1.0e-4, high: 1.0e-2, log: true}
    model.model.init_args.encoder.init_args.num_layers: {low: 1, high: 4}
    data.batch_size: {choices: [128, 256, 512]}
"""

from __future__ import annotations

import argparse
import copy
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import optuna
import yaml

from halite.io import read_yaml, write_yaml


@dataclass(frozen=True)
class Param:
    """One dimension of the search space: ``low``/``high`` (int or float, optionally log) or ``choices``."""

    key: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] | None = None

    def suggest(self, trial: optuna.Trial) -> Any:
        if self.choices is not None:
            return trial.suggest_categorical(self.key, list(self.choices))
        assert self.low is not None and self.high is not None
        if isinstance(self.low, int) and isinstance(self.high, int) and not isinstance(self.low, bool):
            step = int(self.step or 1)
            return trial.suggest_int(self.key, self.low, self.high, step=step, log=self.log)
        return trial.suggest_float(self.key, float(self.low), float(self.high), step=self.step, log=self.log)


def load_space(path: str | Path) -> list[Param]:
    """Read and check a space file (see the module docstring)."""
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not raw:
        msg = f"{path}: the space file must map config keys to ranges, e.g. `model.lrs_config.max: {{low: 1e-4, high: 1e-2}}`."
        raise ValueError(msg)
    params = []
    allowed = {"low", "high", "log", "step", "choices"}
    for key, spec in raw.items():
        if not isinstance(spec, dict):
            msg = f"{path}: '{key}' must be a mapping with low/high or choices, got {spec!r}."
            raise ValueError(msg)
        unknown = set(spec) - allowed
        if unknown:
            msg = f"{path}: '{key}' has unknown fields {sorted(unknown)}; allowed: {sorted(allowed)}."
            raise ValueError(msg)
        if "choices" in spec:
            if not spec["choices"] or set(spec) - {"choices"}:
                msg = f"{path}: '{key}' needs a non-empty `choices` list and nothing else."
                raise ValueError(msg)
            params.append(Param(key, choices=tuple(spec["choices"])))
            continue
        if "low" not in spec or "high" not in spec or not spec["low"] < spec["high"]:
            msg = f"{path}: '{key}' needs numbers low < high (or `choices`), got {spec}."
            raise ValueError(msg)
        params.append(Param(key, spec["low"], spec["high"], bool(spec.get("log", False)), spec.get("step")))
    return params


def set_key(cfg: dict[str, Any], key: str, value: Any) -> None:
    """Set the dotted ``key`` in a nested config dict (creating missing levels)."""
    *parents, last = key.split(".")
    node = cfg
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


class PruneOnValLoss(L.Callback):
    """Report ``val_loss`` to the Optuna trial after every validation and stop pruned trials."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial
        self.best = float("inf")
        self.pruned = False

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or "val_loss" not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics["val_loss"])
        self.best = min(self.best, value)
        self.trial.report(value, trainer.current_epoch)
        if self.trial.should_prune():
            self.pruned = True
            trainer.should_stop = True


def run_trial_fit(args: list[str], callback: PruneOnValLoss) -> None:
    """Run ``halite fit`` in this process with ``args`` and the pruning callback."""
    from halite.cli import HaliteCLI, RunDirSaveConfig
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel

    HaliteCLI(
        LitModel,
        JetDataModule,
        args=["fit", *args],
        save_config_callback=RunDirSaveConfig,
        save_config_kwargs={"overwrite": True},
        trainer_defaults={"callbacks": [callback]},
        auto_configure_optimizers=False,
    )


def objective(config: Path, space: list[Param], out_dir: Path, extra: list[str]) -> Any:
    """The Optuna objective: one fit per trial, returning its best validation loss."""

    def run(trial: optuna.Trial) -> float:
        values = {p.key: p.suggest(trial) for p in space}
        trial_dir = out_dir / f"trial_{trial.number:03d}"
        args = [f"--config={config}", *extra, f"--trainer.default_root_dir={trial_dir}"]
        args += [f"--{k}={v}" for k, v in values.items()]
        callback = PruneOnValLoss(trial)
        run_trial_fit(args, callback)
        if callback.pruned:
            raise optuna.TrialPruned
        if callback.best == float("inf"):
            msg = f"Trial {trial.number} logged no val_loss; check the validation data of {config}."
            raise RuntimeError(msg)
        return callback.best

    return run


def best_config(config: Path, params: dict[str, Any]) -> dict[str, Any]:
    """The base config with the best trial's values filled in."""
    cfg = copy.deepcopy(read_yaml(config))
    for key, value in params.items():
        set_key(cfg, key, value)
    return cfg


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite tune",
        description="Optuna search over config keys (TPE, median pruning on val_loss, resumable SQLite study). "
        "Arguments after `--` are passed to every `halite fit`.",
    )
    p.add_argument("--config", required=True, type=Path, help="base halite fit config")
    p.add_argument(
        "--space", required=True, type=Path, help="YAML: config key -> {low, high[, log, step]} or {choices}"
    )
    p.add_argument("--trials", type=int, default=20, help="finished trials wanted in the study")
    p.add_argument("--study-name", default=None, help="default: the config's stem")
    p.add_argument("--out-dir", type=Path, default=Path("tune"), help="trial run directories and study.db")
    p.add_argument(
        "--storage", default=None, help="Optuna storage URL (default sqlite:///<out-dir>/study.db)"
    )
    p.add_argument("--seed", type=int, default=0, help="sampler seed")
    p.add_argument("--startup-trials", type=int, default=5, help="random trials before TPE and pruning start")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``halite tune``; prints the best trial's config as YAML."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args_list:
        i = args_list.index("--")
        args_list, extra = args_list[:i], args_list[i + 1 :]
    args = _parser().parse_args(args_list)
    if not args.config.is_file():
        msg = f"halite tune: config {args.config} not found."
        raise FileNotFoundError(msg)
    space = load_space(args.space)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    url = args.storage or f"sqlite:///{(args.out_dir / 'study.db').resolve()}"
    with warnings.catch_warnings():  # heartbeats are marked experimental in Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            url,
            heartbeat_interval=60,
            grace_period=180,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
        )
    study = optuna.create_study(
        study_name=args.study_name or args.config.stem,
        storage=storage,
        load_if_exists=True,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=args.startup_trials),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=args.startup_trials, n_warmup_steps=0),
    )
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    done = len(study.get_trials(deepcopy=False, states=finished))
    if done:
        print(f"Resuming study '{study.study_name}' ({url}): {done} of {args.trials} trials finished.")
    remaining = max(0, args.trials - done)
    if remaining:
        study.optimize(
            objective(args.config.resolve(), space, args.out_dir.resolve(), extra),
            n_trials=remaining,
            gc_after_trial=True,
        )
    best = study.best_trial
    cfg = best_config(args.config, best.params)
    out = args.out_dir / "best_config.yaml"
    write_yaml(out, cfg)
    print(f"# best trial {best.number}: val_loss={best.value:.5f}; written to {out}")
    print(yaml.safe_dump(cfg, sort_keys=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
