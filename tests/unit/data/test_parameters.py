"""Parameter sampling for parameterised networks."""

from __future__ import annotations

import numpy as np
import pytest

from halite.data.parameters import ParameterConfig, check_parameters, sample_parameters


def file_values(n: int = 40_000) -> np.ndarray:
    """Half signal (mass 40), half background (0)."""
    values = np.zeros((n, 1), dtype=np.float32)
    values[: n // 2] = 40.0
    return values


def test_background_drawn_uniformly_without_prob() -> None:
    cfg = ParameterConfig(train=[20.0, 40.0, 60.0, 80.0], test=40.0)
    values = file_values()
    out = sample_parameters(values, [cfg], "train", np.random.default_rng(0))
    np.testing.assert_array_equal(out[:20_000], 40.0)  # signal keeps its value
    bkg = out[20_000:, 0]
    freq = np.array([(bkg == v).mean() for v in cfg.train])
    np.testing.assert_allclose(freq, 0.25, atol=0.015)
    assert values[20_000:].max() == 0.0  # input untouched


def test_background_drawn_with_prob() -> None:
    cfg = ParameterConfig(train=[20.0, 40.0, 60.0], test=40.0, prob=[0.6, 0.3, 0.1])
    out = sample_parameters(file_values(), [cfg], "train", np.random.default_rng(1))
    bkg = out[20_000:, 0]
    freq = np.array([(bkg == v).mean() for v in cfg.train])
    np.testing.assert_allclose(freq, [0.6, 0.3, 0.1], atol=0.015)


def test_test_stage_uses_test_value() -> None:
    cfg = ParameterConfig(train=[20.0, 40.0], test=30.0)
    out = sample_parameters(file_values(100), [cfg], "test", np.random.default_rng(0))
    np.testing.assert_array_equal(out, 30.0)


def test_config_errors() -> None:
    with pytest.raises(ValueError, match=r"prob=\[0.5, 0.6\] must have one non-negative entry"):
        ParameterConfig(train=[1.0, 2.0], test=1.0, prob=[0.5, 0.6])
    with pytest.raises(ValueError, match=r"prob=\[1.0\] must have one non-negative entry per train value"):
        ParameterConfig(train=[1.0, 2.0], test=1.0, prob=[1.0])
    with pytest.raises(ValueError, match="needs at least one value"):
        ParameterConfig(train=[], test=1.0)
    with pytest.raises(ValueError, match=r"add train/test values for \['mass'\]"):
        check_parameters(["mass"], {"width": ParameterConfig([1.0], 1.0)})


def test_norm_from_train_values() -> None:
    assert ParameterConfig([20.0, 40.0], 30.0).norm() == {"mean": 30.0, "std": 10.0}
    assert ParameterConfig([5.0], 5.0).norm() == {"mean": 5.0, "std": 1.0}
