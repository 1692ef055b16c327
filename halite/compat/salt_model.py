"""salt 0.13 model section (``model.model``: ``SaltModel``, encoders, pooling, tasks) in halite's schema.

Every function takes salt's ``init_args`` dict and returns halite's, appending one line per
translated-with-a-difference key to ``notes``; a key halite cannot honour raises
``SaltConfigError`` naming it and the fix.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from halite.errors import ConfigError


class SaltConfigError(ConfigError):
    """A salt config key that halite cannot honour (the message names it and says what to do)."""


def fail(where: str, msg: str) -> None:
    """Raise ``SaltConfigError`` for the key at ``where``."""
    raise SaltConfigError(f"salt config `{where}`: {msg}")


def take(args: Mapping[str, Any], allowed: set[str], where: str) -> dict[str, Any]:
    """A copy of ``args``; an unknown key raises naming it and the keys halite translates here."""
    unknown = sorted(set(args) - allowed)
    if unknown:
        fail(
            f"{where}.{unknown[0]}",
            f"halite does not translate {unknown}; translated keys here: {sorted(allowed)}. "
            "Remove the key or open a halite issue with the config.",
        )
    return copy.deepcopy(dict(args))


def class_name(node: Any, where: str) -> tuple[str, dict[str, Any]]:
    """``(class_path, init_args)`` of a ``class_path`` mapping or a bare class-path string."""
    if isinstance(node, str):
        return node, {}
    if not isinstance(node, Mapping) or "class_path" not in node:
        fail(where, f"expected a mapping with `class_path`, got {node!r}.")
    return str(node["class_path"]), dict(node.get("init_args") or {})


#: salt ``dense_config`` keys and what halite does with them
DENSE_KEYS = {
    "input_size",
    "output_size",
    "hidden_layers",
    "hidden_dim_scale",
    "activation",
    "final_activation",
    "dropout",
    "bias",
    "context_size",
    "mup",
}


def dense(
    cfg: Mapping[str, Any], where: str, notes: list[str], input_size: int | None = None
) -> dict[str, Any]:
    """salt ``Dense`` kwargs -> halite ``DenseConfig``.

    halite computes input and context sizes from the model, so ``input_size`` and ``context_size``
    are dropped (``input_size`` still sets salt's default hidden layer). Without ``hidden_layers``
    salt builds one hidden layer of ``input_size * hidden_dim_scale``; the translation writes it out.
    """
    c = take(cfg, DENSE_KEYS, where)
    size = c.pop("input_size", input_size)
    scale = c.pop("hidden_dim_scale", 2)
    c.pop("context_size", None)
    if c.pop("bias", True) is not True:
        fail(f"{where}.bias", "halite's dense layers always have biases; remove `bias: false`.")
    if c.pop("mup", False):
        notes.append(f"{where}.mup: set by halite's muP setup (model.mup), not per layer; dropped")
    if c.get("hidden_layers") is None:
        c.pop("hidden_layers", None)
        if size is None:
            fail(
                f"{where}.hidden_layers",
                "salt's default hidden layer needs `input_size`; give hidden_layers.",
            )
        c["hidden_layers"] = [int(size) * int(scale)]
        notes.append(
            f"{where}: salt's default hidden layer written out as hidden_layers [{c['hidden_layers'][0]}]"
        )
    return c


def loss(node: Any, where: str, notes: list[str]) -> dict[str, Any]:
    """A salt loss (class path string or mapping) with ``reduction: none``.

    salt's losses default to ``reduction='mean'``; halite's tasks reduce themselves (a masked,
    weighted mean over valid entries), so the loss module must return per-entry values.
    """
    path, init = class_name(node, where)
    if "." not in path:  # salt configs name torch losses bare (`loss: MSELoss`)
        path = f"torch.nn.{path}"
    if init.get("reduction", "mean") != "none":
        notes.append(
            f"{where}: reduction '{init.get('reduction', 'mean')}' -> 'none' (halite's task takes the masked mean)"
        )
    init["reduction"] = "none"
    return {"class_path": path, "init_args": init}


TASKS = {
    "salt.models.ClassificationTask": "halite.tasks.ClassificationTask",
    "salt.models.RegressionTask": "halite.tasks.RegressionTask",
    "salt.models.GaussianRegressionTask": "halite.tasks.GaussianRegressionTask",
    "salt.models.VertexingTask": "halite.tasks.VertexingTask",
}

TASK_KEYS = {
    "halite.tasks.ClassificationTask": {
        "label",
        "class_names",
        "label_map",
        "sample_weight",
        "use_class_dict",
    },
    "halite.tasks.RegressionTask": {
        "targets",
        "scaler",
        "target_denominators",
        "norm_params",
        "custom_output_names",
        "sample_weight",
    },
    "halite.tasks.VertexingTask": {"label"},
}
TASK_KEYS["halite.tasks.GaussianRegressionTask"] = TASK_KEYS["halite.tasks.RegressionTask"]
COMMON_TASK_KEYS = {"name", "input_name", "dense_config", "loss", "weight"}


def task(node: Any, where: str, notes: list[str], global_object: str, pooled: int | None) -> dict[str, Any]:
    """One salt task -> halite's task of the same name and meaning."""
    path, init = class_name(node, where)
    if path not in TASKS:
        fail(f"{where}.class_path", f"'{path}' has no halite task; translated tasks: {sorted(TASKS)}.")
    target = TASKS[path]
    name = init.get("name", "?")
    where = f"{where}[{name}]"
    args = take(init, COMMON_TASK_KEYS | TASK_KEYS[target], where)
    if "loss" in args:
        args["loss"] = loss(args["loss"], f"{where}.loss", notes)
    if "dense_config" in args:
        dc = args["dense_config"]
        if args.get("input_name") != global_object and not dc.get("context_size"):
            notes.append(
                f"{where}: salt gives this per-constituent head no context; halite concatenates the pooled "
                f"vector ({pooled} features) to its input"
            )
        args["dense_config"] = dense(dc, f"{where}.dense_config", notes)
    if args.get("label_map") and args.get("class_names"):
        args["label_map"] = _complete_label_map(args["label_map"], len(args["class_names"]), where, notes)
    norm = args.get("norm_params")
    if isinstance(norm, Mapping) and any(not isinstance(v, list) for v in norm.values()):
        args["norm_params"] = {k: v if isinstance(v, list) else [v] for k, v in norm.items()}
        notes.append(f"{where}.norm_params: scalar values written as one-element lists (one target)")
    if target in ("halite.tasks.RegressionTask", "halite.tasks.GaussianRegressionTask"):
        args["mean_over"] = "entries"  # salt's nan_loss: NaN targets count as zero loss in the mean
        notes.append(f"{where}: mean_over entries (salt's mean over all entries, NaN targets as 0)")
    if target == "halite.tasks.VertexingTask":
        args["loss_weighting"] = "salt"  # salt's origin-weighted pair loss over same-vertex pairs
        notes.append(f"{where}: loss_weighting salt (pairs weighted by origin, divided by same-vertex pairs)")
    if isinstance(args.get("scaler"), Mapping):
        spath, sinit = class_name(args["scaler"], f"{where}.scaler")
        if spath != "salt.utils.scalers.RegressionTargetScaler":
            fail(f"{where}.scaler", f"'{spath}' is unknown; use salt.utils.scalers.RegressionTargetScaler.")
        args["scaler"] = {"class_path": "halite.tasks.RegressionTargetScaler", "init_args": sinit}
    return {"class_path": target, "init_args": args}


def _complete_label_map(
    label_map: Mapping[Any, Any], num_classes: int, where: str, notes: list[str]
) -> dict[int, int]:
    """salt's ``label_map`` in halite's form: salt keeps a raw value that is not a key of the map
    (``0`` of ``{-2: 2, ...}`` stays class 0); halite maps every value, so the class indices
    ``0..num_classes-1`` that are not keys map to themselves."""
    out = {int(k): int(v) for k, v in label_map.items()}
    kept = [k for k in range(num_classes) if k not in out]
    if kept:
        out.update({k: k for k in kept})
        notes.append(
            f"{where}.label_map: raw values {kept} are not keys; they keep their value (class index) as in salt"
        )
    return out


def tasks(
    node: Any, where: str, notes: list[str], global_object: str, pooled: int | None
) -> list[dict[str, Any]]:
    """``torch.nn.ModuleList`` of tasks (or a plain list) -> halite's task list."""
    if isinstance(node, Mapping):
        path, init = class_name(node, where)
        if path not in ("torch.nn.ModuleList", "torch.nn.modules.container.ModuleList"):
            fail(f"{where}.class_path", f"expected torch.nn.ModuleList, got '{path}'.")
        node = init.get("modules") or []
    return [task(t, f"{where}[{i}]", notes, global_object, pooled) for i, t in enumerate(node)]
