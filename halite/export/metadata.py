"""Metadata embedded in exported ONNX models (read back with ``halite export --show``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import onnx

from halite.io import atomic_path
from halite.models.protocol import check_model
from halite.nn.layers.norm import InputNorm
from halite.tasks.class_reg_multi import ClassRegMultiTask
from halite.tasks.classification import ClassificationTask
from halite.training.module import LitModel

KEY = "halite_metadata"


def build_metadata(lit: LitModel, config: dict, inputs: dict[str, str], outputs: list[str]) -> dict[str, Any]:
    """Everything a deployment needs to feed the model and read its outputs."""
    import halite

    model = check_model(lit.model)
    norm = {
        stream: {
            var: {"mean": float(m), "std": float(1.0 / s)}
            for var, m, s in zip(n.variables, n.mean.tolist(), n.inv_std.tolist())
        }
        for stream, n in ((s, cast(InputNorm, m)) for s, m in model.norms.items())
    }
    classes = {
        t.name: list(t.class_names or [])
        for t in model.task_heads()
        if isinstance(t, (ClassificationTask, ClassRegMultiTask))
    }
    return {
        "halite_version": halite.__version__,
        "model_name": lit.name,
        "inputs": {name: {"stream": s, "variables": model.variables[s]} for s, name in inputs.items()},
        "outputs": outputs,
        "class_names": classes,
        "norm_dict": norm,
        "config": config,
    }


def write_metadata(path: Path, metadata: dict[str, Any]) -> None:
    """Store ``metadata`` as JSON in the model's ``metadata_props`` (in place)."""
    model = onnx.load(str(path))
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key = KEY
    entry.value = json.dumps(metadata, default=str)
    with atomic_path(path) as tmp:
        onnx.save(model, str(tmp))


def read_metadata(path: str | Path) -> dict[str, Any]:
    """Metadata of an exported model; error if the file has none."""
    p = Path(path)
    if not p.is_file():
        msg = f"ONNX file not found: {p}."
        raise FileNotFoundError(msg)
    model = onnx.load(str(p), load_external_data=False)
    for prop in model.metadata_props:
        if prop.key == KEY:
            return dict(json.loads(prop.value))
    msg = f"{p} has no halite metadata (was it exported by `halite export`?)."
    raise ValueError(msg)
