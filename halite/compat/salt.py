"""Translate a salt 0.13 config (after salt's ``base.yaml`` defaults) into halite's schema.

``translate(config) -> (halite_config, notes)`` is pure: it reads salt's keys with their salt
meaning and writes halite's; each note says what was changed, dropped or chosen and why; a key
halite cannot honour raises ``SaltConfigError`` naming the key and the fix. Used by
``halite fit | validate | test | predict`` when a ``--config`` names ``salt.`` class paths and by
``halite import-salt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from halite.compat.salt_data import data_block
from halite.compat.salt_encoder import encoder, pooling
from halite.compat.salt_model import SaltConfigError, class_name, dense, fail, take, tasks
from halite.compat.salt_trainer import trainer_block

__all__ = ["SaltConfigError", "is_salt_config", "translate"]


def is_salt_config(config: Any) -> bool:
    """Whether any ``class_path`` in ``config`` names a ``salt.`` class."""
    if isinstance(config, Mapping):
        path = config.get("class_path")
        if isinstance(path, str) and path.startswith("salt."):
            return True
        return any(is_salt_config(v) for v in config.values())
    if isinstance(config, list):
        return any(is_salt_config(v) for v in config)
    return isinstance(config, str) and config.startswith("salt.") and config.count(".") >= 2


#: salt's top-level CLI keys dropped by halite (git tagging, output naming, config overwrite)
_SALT_CLI_ONLY = {"force", "tag", "log_suffix", "overwrite_config"}


def translate(config: Mapping[str, Any], comet_account: bool = False) -> tuple[dict[str, Any], list[str]]:
    """A salt config dict (salt's ``base.yaml`` already merged in) -> (halite config, notes).

    Parameters
    ----------
    config
        The merged salt config (see ``halite.compat.apply_salt_defaults``).
    comet_account
        Keep a ``CometLogger`` (a Comet API key is configured); otherwise halite's CSV and
        TensorBoard loggers replace it.
    """
    notes: list[str] = []
    c = take(config, {"name", "seed_everything", "model", "data", "trainer", "ckpt_path", "compile",
                      *_SALT_CLI_ONLY}, "<top>")  # fmt: skip
    out: dict[str, Any] = {}
    for key in sorted(_SALT_CLI_ONLY & set(c)):
        notes.append(
            f"{key}: salt CLI option (git tagging / output naming) that halite does not have; dropped"
        )
        c.pop(key)
    for key in ("name", "seed_everything", "ckpt_path", "compile"):
        if key in c:
            out[key] = c[key]
    data, variables, global_object = data_block(c.get("data") or {}, notes)
    out["model"] = _wrapper(c.get("model") or {}, notes, variables, global_object, out)
    out["data"] = data
    out["trainer"] = trainer_block(c.get("trainer") or {}, notes, comet_account)
    return out, notes


def _wrapper(
    m: Mapping[str, Any],
    notes: list[str],
    variables: Mapping[str, Any],
    global_object: str,
    top: dict[str, Any],
) -> dict[str, Any]:
    """salt ``ModelWrapper`` args -> halite ``LitModel`` args."""
    a = take(m, {"model", "lrs_config", "global_object", "norm_config", "name", "mup_config", "muP_config",
                 "loss_mode", "optimizer", "edge_constructors"}, "model")  # fmt: skip
    out: dict[str, Any] = {}
    if "lrs_config" in a:
        lrs = dict(a["lrs_config"])
        last = lrs.pop("last_epoch", -1)
        if last != -1:
            fail(
                "model.lrs_config.last_epoch",
                f"halite restarts schedules from checkpoints, not last_epoch={last}; remove it.",
            )
        out["lrs_config"] = {k: float(v) for k, v in lrs.items()}  # YAML 1.1 reads salt's `1e-7` as a string
    if a.get("global_object", global_object) != global_object:
        fail(
            "model.global_object",
            f"'{a['global_object']}' differs from data.global_object '{global_object}'.",
        )
    if "name" in a:
        top.setdefault("name", a["name"])
    loss_mode = a.get("loss_mode", "wsum")
    if loss_mode not in ("wsum", "GLS"):
        fail("model.loss_mode", f"'{loss_mode}': salt's loss modes are wsum and GLS.")
    if loss_mode != "wsum":
        out["loss_mode"] = loss_mode
        notes.append(
            "model.loss_mode GLS: halite's LitModel loss_mode GLS (geometric mean of the task losses)"
        )
    optimizer = a.get("optimizer", "AdamW")
    if optimizer not in ("AdamW", "lion"):
        fail("model.optimizer", f"'{optimizer}': halite trains with AdamW or lion (lion-pytorch's Lion).")
    if optimizer != "AdamW":
        out["optimizer"] = optimizer
        notes.append("model.optimizer lion: halite's LitModel optimizer lion (lion-pytorch's Lion, as salt)")
    for key in ("norm_config", "edge_constructors"):
        if a.get(key):
            fail(
                f"model.{key}", "not translated to halite; remove it or open a halite issue with the config."
            )
    for key in ("mup_config", "muP_config"):
        if key in a:  # halite's LitModel takes both spellings (and their default folders, see setup-mup)
            out[key] = a[key]
            notes.append(f"model.{key}: passed to halite as model.{key}")
    if "model" not in a:
        fail("model.model", "the config has no model; give model.model (salt.models.SaltModel).")
    out["model"] = _salt_model(a["model"], notes, variables, global_object)
    return out


def _salt_model(
    node: Any, notes: list[str], variables: Mapping[str, Any], global_object: str
) -> dict[str, Any]:
    """``salt.models.SaltModel`` -> ``halite.models.Model``."""
    where = "model.model"
    path, init = class_name(node, where)
    if path != "salt.models.SaltModel":
        fail(f"{where}.class_path", f"'{path}': only salt.models.SaltModel is translated.")
    where += ".init_args"
    a = take(init, {"init_nets", "tasks", "encoder", "pool_net", "featurewise_nets", "edge_init_nets",
                    "mask_decoder", "merge_dict"}, where)  # fmt: skip
    for key in ("edge_init_nets", "mask_decoder", "merge_dict"):
        if a.get(key):
            fail(f"{where}.{key}", "not available in halite's Model (edge features: halite.nn.EdgeTransformerEncoder "
                 "with model.model.init_args.edge_features); remove it.")  # fmt: skip
    if not a.get("pool_net"):
        return _global_only_model(a, where, notes, variables, global_object)
    if a.get("encoder"):
        enc, width = encoder(a["encoder"], f"{where}.encoder", notes)
    else:  # salt's deep sets (DIPS, the regression examples): init nets -> pooling
        sizes = {
            int(s)
            for n in a.get("init_nets") or []
            if (s := (n.get("dense_config") or {}).get("output_size"))
        }
        if len(sizes) != 1 or any(
            not (n.get("dense_config") or {}).get("output_size") for n in a.get("init_nets") or []
        ):
            fail(
                f"{where}.init_nets",
                "without an encoder every init net needs the same dense_config.output_size.",
            )
        width = int(sizes.pop())
        enc = {"class_path": "halite.nn.IdentityEncoder", "init_args": {"embed_dim": width}}
        notes.append(
            f"{where}.encoder: none (deep sets); halite.nn.IdentityEncoder passes the init nets' output to the pooling"
        )
    embed_dim = int(enc["init_args"]["embed_dim"])
    out: dict[str, Any] = {
        "init_nets": [
            _init_net(n, f"{where}.init_nets[{i}]", notes, variables, global_object)
            for i, n in enumerate(a.get("init_nets") or [])
        ],
        "encoder": enc,
        "pool_net": pooling(a["pool_net"], f"{where}.pool_net", notes, width),
        "tasks": tasks(a.get("tasks") or [], f"{where}.tasks", notes, global_object, width),
    }
    for net in out["init_nets"]:
        size = net["dense_config"].get("output_size")
        if size is not None and int(size) != embed_dim:
            fail(f"{where}.init_nets[{net['input_name']}].dense_config.output_size",
                 f"{size} differs from the encoder's embed_dim {embed_dim}.")  # fmt: skip
    layers = [f.get("layer") for f in a.get("featurewise_nets") or []]
    if layers and "input" not in layers and variables.get("PARAMETERS"):
        fail(
            f"{where}.featurewise_nets",
            "without a layer input FiLM salt also concatenates the parameters to every init net's input, "
            "which halite does not do alongside FiLM; add a featurewise net with layer input, or concatenate "
            "the parameters only (remove featurewise_nets).",
        )
    if a.get("featurewise_nets"):
        out["featurewise_nets"] = [_featurewise(f, f"{where}.featurewise_nets[{i}]", notes, bool(a.get("encoder")))
                                   for i, f in enumerate(a["featurewise_nets"])]  # fmt: skip
    return {"class_path": "halite.models.Model", "init_args": out}


def _global_only_model(
    a: Mapping[str, Any], where: str, notes: list[str], variables: Mapping[str, Any], global_object: str
) -> dict[str, Any]:
    """salt's "global object only" ``SaltModel`` (no pool_net; DL1) -> a jet-level ``halite.models.Model``.

    salt asserts: no encoder, one init net, on the global object; the tasks read its output.
    """
    if a.get("encoder"):
        fail(
            f"{where}.pool_net",
            "salt needs a pool_net with an encoder; add salt.models.GlobalAttentionPooling.",
        )
    nets = list(a.get("init_nets") or [])
    if len(nets) != 1 or nets[0].get("input_name") != global_object:
        names = [n.get("input_name") for n in nets]
        fail(
            f"{where}.init_nets",
            f"without a pool_net salt takes exactly one init net, on the global object '{global_object}' "
            f"(got {names}); add a pool_net to read constituent streams.",
        )
    if nets[0].get("attach_global", True):
        fail(
            f"{where}.init_nets[0].attach_global",
            f"salt would attach '{global_object}' to itself (its variables twice); set attach_global: false.",
        )
    if a.get("featurewise_nets"):
        fail(
            f"{where}.featurewise_nets",
            "a SaltModel without a pool_net (global object only) has no constituents to transform in halite; "
            "remove featurewise_nets.",
        )
    net = _init_net(nets[0], f"{where}.init_nets[0]", notes, variables, global_object)
    width = net["dense_config"].get("output_size")
    if width is None:
        fail(f"{where}.init_nets[0].dense_config.output_size", "give the width of the jet representation.")
    notes.append(
        f"{where}: no encoder and no pool_net (global object only, DL1-style): halite.models.Model without "
        "encoder / pool_net, the tasks read the init net's output"
    )
    global_width = int(width) + len(variables.get("GLOBAL") or [])
    out = {
        "init_nets": [net],
        "tasks": tasks(a.get("tasks") or [], f"{where}.tasks", notes, global_object, global_width),
    }
    return {"class_path": "halite.models.Model", "init_args": out}


def _init_net(
    n: Mapping[str, Any], where: str, notes: list[str], variables: Mapping[str, Any], global_object: str
) -> dict[str, Any]:
    a = take(n, {"input_name", "dense_config", "attach_global", "pos_enc", "mup", "featurewise"}, where)
    for key in ("pos_enc", "featurewise"):
        if a.get(key):
            fail(f"{where}.{key}", "not translated (halite: featurewise_nets with layer input); remove it.")
    attach = bool(a.get("attach_global", True))
    stream = a["input_name"]
    n_in = len(variables.get(stream) or []) + (len(variables.get(global_object) or []) if attach else 0)
    out = {"input_name": stream, "attach_global": attach,
           "dense_config": dense(a.get("dense_config") or {}, f"{where}.dense_config", notes, n_in)}  # fmt: skip
    if a.get("mup"):
        notes.append(f"{where}.mup: set up by halite's model.mup; dropped")
    return out


#: salt featurewise layer -> halite's: salt's ``input`` transforms each init net's input after the
#: global object's variables are attached (halite's ``input_with_global``), ``encoder`` the input of
#: every encoder block (``encoder_layers``), ``global`` the encoder output before the pooling
#: (halite's ``encoder``)
_FEATUREWISE_LAYERS = {"input": "input_with_global", "encoder": "encoder_layers", "global": "encoder"}
_FEATUREWISE_WHAT = {
    "input_with_global": "each init net's input, the global variables attached",
    "encoder_layers": "the input of every encoder block, register tokens included",
    "encoder": "the encoder output, register tokens included, before the pooling",
}


def _featurewise(f: Mapping[str, Any], where: str, notes: list[str], has_encoder: bool) -> dict[str, Any]:
    """salt featurewise net -> halite's, in salt's form (``scale * x + bias``, then the norm)."""
    a = take(f, {"layer", "dense_config_scale", "dense_config_bias", "apply_norm"}, where)
    layer = a.get("layer")
    if layer not in _FEATUREWISE_LAYERS:
        fail(f"{where}.layer", f"'{layer}': salt takes input, encoder or global.")
    if layer == "encoder" and not has_encoder:
        fail(
            f"{where}.layer", "salt's layer encoder transforms the encoder blocks; this model has no encoder."
        )
    a["layer"] = _FEATUREWISE_LAYERS[str(layer)]
    notes.append(f"{where}.layer {layer}: halite's layer {a['layer']} ({_FEATUREWISE_WHAT[a['layer']]})")
    a["form"] = "salt"
    for key in ("dense_config_scale", "dense_config_bias"):
        if a.get(key) is not None:
            a[key] = dense(a[key], f"{where}.{key}", notes, input_size=1)
    return a
