"""Parameterised networks: values of physics parameters (e.g. a mass) fed to the model.

Salt convention: ``data.variables.PARAMETERS`` lists the parameters (read from the
global object's dataset unless ``data.input_map.PARAMETERS`` names another one, such as
the ``parameters`` dataset of ``halite synth --parameters``) and ``data.PARAMETERS``
gives, per parameter, the ``train`` values, the ``test`` value and optional
probabilities ``prob``. Signal jets carry one of the ``train`` values in the file;
every other jet is background and, in training and validation, gets a value drawn
from ``train`` with probabilities ``prob`` (uniform without). At test time every jet
gets the ``test`` value (Baldi et al., arXiv:1601.07913).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from halite.errors import DataError

PARAMETERS = "PARAMETERS"


@dataclass
class ParameterConfig:
    """Values of one parameter.

    Parameters
    ----------
    train
        Parameter values of the signal samples used in training.
    test
        Value given to every jet at test time.
    prob
        Probabilities of drawing each ``train`` value for background jets (default uniform).
    """

    train: list[float]
    test: float
    prob: list[float] | None = None

    def __post_init__(self) -> None:
        if not self.train:
            msg = "data.PARAMETERS: `train` needs at least one value."
            raise DataError(msg)
        if self.prob is not None:
            p = np.asarray(self.prob, dtype=np.float64)
            if len(p) != len(self.train) or (p < 0).any() or not np.isclose(p.sum(), 1.0):
                msg = (
                    f"data.PARAMETERS: prob={self.prob} must have one non-negative entry per train value "
                    f"{self.train} and sum to 1."
                )
                raise DataError(msg)

    def norm(self) -> dict[str, float]:
        """Mean and std of the ``train`` values (std 1 for a single value), for input normalisation."""
        values = np.asarray(self.train, dtype=np.float64)
        std = float(values.std())
        return {"mean": float(values.mean()), "std": std if std > 0 else 1.0}


def check_parameters(names: list[str], configs: dict[str, ParameterConfig] | None) -> list[ParameterConfig]:
    """The configs of ``names`` in order; raise naming the missing or extra parameters."""
    configs = configs or {}
    missing = [n for n in names if n not in configs]
    extra = sorted(set(configs) - set(names))
    if missing or extra:
        msg = (
            f"data.variables.PARAMETERS lists {names} but data.PARAMETERS configures {sorted(configs)}: "
            f"add train/test values for {missing} and/or remove {extra}."
        )
        raise DataError(msg)
    return [configs[n] for n in names]


def sample_parameters(
    values: np.ndarray, configs: list[ParameterConfig], stage: str, rng: np.random.Generator
) -> np.ndarray:
    """Parameter values the model sees for one batch.

    Parameters
    ----------
    values
        ``(B, P)`` values read from the file (signal: one of ``train``; others: background).
    configs
        One config per column.
    stage
        ``"test"`` gives every jet the ``test`` value; otherwise background jets get values
        drawn from ``train`` with ``prob``.
    rng
        Random generator for the draws.

    Returns
    -------
    np.ndarray
        ``(B, P)`` float32.
    """
    out = np.array(values, dtype=np.float32, copy=True)
    for col, cfg in enumerate(configs):
        if stage == "test":
            out[:, col] = cfg.test
            continue
        train = np.asarray(cfg.train, dtype=np.float32)
        is_signal = np.isclose(out[:, col, None], train[None, :]).any(axis=1)
        n_bkg = int((~is_signal).sum())
        if n_bkg:
            out[~is_signal, col] = rng.choice(train, size=n_bkg, p=cfg.prob)
    return out
