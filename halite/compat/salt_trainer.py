"""salt's ``trainer`` block in halite's schema: loggers and salt's callbacks."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from halite.compat.salt_model import class_name, fail, take

_CALLBACKS_DROPPED = {
    "salt.callbacks.Checkpoint": "halite writes <run>/ckpts/ itself (every epoch, monitor val_loss)",
    "salt.callbacks.SaveConfigCallback": "halite saves <run>/config.yaml itself",
}


#: halite's writer of salt's prediction files (same arguments, same meaning)
PREDICTION_WRITER = "halite.training.callbacks.prediction_writer.PredictionWriter"


def _prediction_writer(init: Mapping[str, Any], where: str, notes: list[str]) -> dict[str, Any]:
    """``salt.callbacks.PredictionWriter`` -> halite's, every salt 0.13 argument kept.

    ``write_objects`` (MaskFormer object outputs) needs a mask decoder halite lacks: ``true`` raises.
    """
    w = take(init, {"write_tracks", "write_objects", "half_precision", "object_classes", "extra_vars"}, where)
    if w.pop("write_objects", False):
        fail(
            f"{where}.write_objects",
            "salt's MaskFormer object outputs need a mask decoder, which halite's Model does not have; "
            "remove write_objects.",
        )
    w["beside_checkpoint"] = True  # salt writes <run>/ckpts/<ckpt>__test_<sample>.h5
    notes.append(
        f"{where} salt.callbacks.PredictionWriter: {PREDICTION_WRITER} (writes on `test`, next to the "
        "checkpoint in <run>/ckpts/ as salt does)"
    )
    return {"class_path": PREDICTION_WRITER, "init_args": w}


def trainer_block(t: Mapping[str, Any], notes: list[str], comet_account: bool) -> dict[str, Any]:
    out = copy.deepcopy(dict(t))
    logger = out.get("logger")
    if isinstance(logger, Mapping) and "Comet" in str(logger.get("class_path", "")) and not comet_account:
        out.pop("logger")
        notes.append("trainer.logger: CometLogger without a Comet account (COMET_API_KEY); halite's CSV and "
                     "TensorBoard loggers in the run directory instead")  # fmt: skip
    callbacks = []
    for i, cb in enumerate(out.get("callbacks") or []):
        where = f"trainer.callbacks[{i}]"
        path, init = class_name(cb, where)
        if path in _CALLBACKS_DROPPED:
            notes.append(f"{where} {path}: {_CALLBACKS_DROPPED[path]}; dropped")
        elif path == "salt.callbacks.PredictionWriter":
            callbacks.append(_prediction_writer(init, where, notes))
        elif path == "salt.callbacks.PerformanceWriter":
            w = take(init, {"dir_path", "add_metrics", "stdOut"}, where)
            if "stdOut" in w:
                w["stdout"] = w.pop("stdOut")
            callbacks.append({"class_path": "halite.training.callbacks.performance_writer.PerformanceWriter",
                              "init_args": w})  # fmt: skip
        elif path.startswith("salt."):
            fail(f"{where}.class_path", f"'{path}' has no halite callback; remove it.")
        else:
            callbacks.append(cb)
    if "callbacks" in out:
        out["callbacks"] = callbacks
    return out
