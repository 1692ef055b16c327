"""``halite tune``: hyperparameter search over config keys with Optuna (resumable).

Each trial is an ordinary ``halite fit`` with the sampled values as overrides, in
``<out-dir>/trial_<n>/``; the SQLite study resumes an interrupted search.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path


def parser() -> argparse.ArgumentParser:
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


def main(argv: list[str]) -> int:
    """Entry point of ``halite tune``; prints the best trial's config as YAML."""
    from halite.commands._overrides import split_overrides

    args_list, extra = split_overrides(argv)
    args = parser().parse_args(args_list)  # before the imports: `--help` and bad arguments stay fast
    import optuna
    import yaml

    from halite.commands._build import fit_in_process
    from halite.io import write_yaml
    from halite.training.tune import best_config, load_space, objective

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
            objective(args.config.resolve(), space, args.out_dir.resolve(), extra, fit_in_process),
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
