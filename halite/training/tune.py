"""Hyperparameter search over config keys with Optuna (the library of ``halite tune``).

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

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import optuna

from halite.io import read_yaml


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


def objective(
    config: Path,
    space: list[Param],
    out_dir: Path,
    extra: list[str],
    fit: Callable[[list[str], list[L.Callback]], None],
) -> Any:
    """The Optuna objective: one fit per trial, returning its best validation loss.

    ``fit(args, callbacks)`` runs ``halite fit <args>`` in this process with extra callbacks.
    """

    def run(trial: optuna.Trial) -> float:
        values = {p.key: p.suggest(trial) for p in space}
        trial_dir = out_dir / f"trial_{trial.number:03d}"
        args = [f"--config={config}", *extra, f"--trainer.default_root_dir={trial_dir}"]
        args += [f"--{k}={v}" for k, v in values.items()]
        callback = PruneOnValLoss(trial)
        fit(args, [callback])
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
