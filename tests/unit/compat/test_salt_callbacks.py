"""salt.callbacks.PredictionWriter: every salt 0.13 argument reaches halite's writer with salt's meaning."""

from __future__ import annotations

from typing import Any

import pytest

from halite.compat import SaltConfigError, translate
from halite.compat.salt_trainer import PREDICTION_WRITER
from halite.training.callbacks.prediction_writer import PredictionWriter
from tests.unit.compat.test_salt import salt_config


def writer_config(**init_args: Any) -> dict[str, Any]:
    c = salt_config()
    c["trainer"] = {"callbacks": [{"class_path": "salt.callbacks.PredictionWriter", "init_args": init_args}]}
    return c


def test_every_prediction_writer_argument_is_kept() -> None:
    args = {"write_tracks": True, "write_objects": False, "half_precision": True,
            "object_classes": ["bjets", "cjets", "ujets"], "extra_vars": {"jets": ["pt", "eta"]}}  # fmt: skip
    out, notes = translate(writer_config(**args))
    (cb,) = out["trainer"]["callbacks"]
    assert cb["class_path"] == PREDICTION_WRITER
    kept = {k: v for k, v in args.items() if k != "write_objects"}
    assert cb["init_args"] == {**kept, "beside_checkpoint": True}  # <run>/ckpts/, where salt writes
    assert any(PREDICTION_WRITER in n for n in notes)
    writer = PredictionWriter(**cb["init_args"])  # halite's writer takes them as they are
    assert writer.float_type == "f2" and writer.extra_vars == {"jets": ["pt", "eta"]}
    assert writer.beside_checkpoint


def test_write_objects_true_names_the_key() -> None:
    with pytest.raises(SaltConfigError, match=r"write_objects`.*mask decoder"):
        translate(writer_config(write_objects=True))


def test_unknown_writer_argument_names_the_key() -> None:
    with pytest.raises(SaltConfigError, match="jets_name"):
        translate(writer_config(jets_name="jets"))
