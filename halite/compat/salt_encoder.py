"""salt encoders, attention and poolings in halite's schema.

salt 0.13's encoder is ``salt.models.Transformer`` (alias ``TransformerV2``): ``norm``,
``attn_type``, ``do_final_norm``, ``num_registers``, ``dense_kwargs`` (the feed-forward ``GLU``)
and ``attn_kwargs``. Older salt configs use ``TransformerEncoder`` /
``TransformerCrossAttentionEncoder`` with ``mha_config`` / ``dense_config`` / ``sa_dense_config``
and attention classes ``ScaledDotProductAttention`` / ``GATv2Attention``; both forms map onto
``halite.nn.TransformerEncoder`` / ``TransformerCrossAttentionEncoder``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from halite.compat.salt_model import SaltConfigError, class_name, fail, take

TRANSFORMERS = {"salt.models.Transformer", "salt.models.TransformerV2"}
LEGACY_ENCODERS = {
    "salt.models.TransformerEncoder": "halite.nn.TransformerEncoder",
    "salt.models.TransformerCrossAttentionEncoder": "halite.nn.TransformerCrossAttentionEncoder",
}
ATTENTIONS = {
    "salt.models.ScaledDotProductAttention": None,  # halite's default attention
    "salt.models.GATv2Attention": "halite.nn.GATv2Attention",
}


def encoder(node: Any, where: str, notes: list[str]) -> tuple[dict[str, Any], int]:
    """A salt encoder -> (halite encoder config, its output width)."""
    path, init = class_name(node, where)
    if path in TRANSFORMERS:
        return transformer(init, where, notes)
    if path in LEGACY_ENCODERS:
        return legacy_encoder(path, init, where, notes)
    known = sorted(TRANSFORMERS | set(LEGACY_ENCODERS))
    fail(f"{where}.class_path", f"'{path}' has no halite encoder; translated encoders: {known}.")
    raise AssertionError  # unreachable: fail raises


def _scale(hidden_dim: Any, embed_dim: int, where: str) -> int:
    if hidden_dim is None:
        return 2
    if int(hidden_dim) % embed_dim:
        fail(where, f"halite's feed-forward width is a multiple of embed_dim {embed_dim}; got {hidden_dim}.")
    return int(hidden_dim) // embed_dim


def transformer(init: Mapping[str, Any], where: str, notes: list[str]) -> tuple[dict[str, Any], int]:
    """``salt.models.Transformer`` -> ``halite.nn.TransformerEncoder``."""
    keys = {
        "num_layers", "embed_dim", "out_dim", "norm", "attn_type", "do_final_norm", "num_registers",
        "drop_registers", "dense_kwargs", "attn_kwargs", "edge_embed_dim", "update_edges", "mup",
        "ls_init", "drop_path", "norm_type", "num_dense",
    }  # fmt: skip
    a = take(init, keys, where)
    embed_dim = int(a["embed_dim"])
    out: dict[str, Any] = {"embed_dim": embed_dim, "num_layers": int(a["num_layers"])}
    if a.get("out_dim") is not None:
        out["out_dim"] = int(a["out_dim"])
    attn_type = a.get("attn_type", "torch-math")
    notes.append(
        f"{where}.attn_type '{attn_type}': halite runs scaled-dot-product attention on the packed valid "
        "constituents (torch SDPA picks flash / memory-efficient / math per device)"
    )
    norm = a.get("norm", "LayerNorm")
    if norm not in ("LayerNorm", "RMSNorm"):
        fail(f"{where}.norm", f"'{norm}' is not available; halite's transformer takes LayerNorm or RMSNorm.")
    if norm != "LayerNorm":
        out["norm"] = norm
    else:  # salt's LayerNorm has no learned scale and bias (salt.models.layernorm)
        out["norm_affine"] = False
        notes.append(
            f"{where}.norm LayerNorm: norm_affine false (salt's LayerNorm has no learned scale or bias)"
        )
    # salt normalises the output of the projection (width out_dim), or nothing without do_final_norm
    out["final_norm_at"] = "output" if a.get("do_final_norm", True) else "none"
    registers = int(a.get("num_registers", 1))
    if registers < 1:
        fail(f"{where}.num_registers", f"salt needs at least one register; got {registers}.")
    out["num_registers"] = registers
    # salt's default keeps the registers for the pooling; halite's default drops them
    out["drop_registers"] = bool(a.get("drop_registers", False))
    if not out["drop_registers"]:
        notes.append(
            f"{where}.num_registers {registers}: the pooling also pools the register tokens "
            "(salt's drop_registers: false, halite's drop_registers: false); per-constituent tasks do not see them"
        )
    for key, default in (("edge_embed_dim", 0), ("update_edges", False), ("ls_init", None),
                         ("drop_path", 0.0), ("num_dense", 1)):  # fmt: skip
        if a.get(key, default) != default:
            fail(
                f"{where}.{key}",
                f"halite's TransformerEncoder has no `{key}` (salt value {a[key]!r}); remove it.",
            )
    norm_type = a.get("norm_type", "pre")
    if norm_type not in ("pre", "post", "hybrid"):
        fail(f"{where}.norm_type", f"'{norm_type}': salt's encoder layers take pre, post or hybrid.")
    if norm_type != "pre":
        out["norm_type"] = norm_type
        notes.append(f"{where}.norm_type {norm_type}: halite's TransformerEncoder norm_type {norm_type}" + (
            " (per-head q / k / v RMSNorm, first block pre-norm, later blocks norm before the feed-forward)"
            if norm_type == "hybrid" else ""))  # fmt: skip
    if a.get("mup"):
        notes.append(f"{where}.mup: set up by halite's model.mup, not per block; dropped")
    dk = take(a.get("dense_kwargs") or {}, {"activation", "hidden_dim", "dropout", "bias", "gated", "mup"},
              f"{where}.dense_kwargs")  # fmt: skip
    if dk.get("gated"):
        out["gated"] = True
    if dk.get("bias", True) is not True:
        fail(f"{where}.dense_kwargs.bias", "halite's feed-forward layers have biases; remove `bias: false`.")
    out["activation"] = dk.get("activation", "SiLU")
    out["hidden_dim_scale"] = _scale(dk.get("hidden_dim"), embed_dim, f"{where}.dense_kwargs.hidden_dim")
    ak = take(a.get("attn_kwargs") or {}, {"num_heads", "dropout", "bias", "attn_type", "do_qk_norm", "do_v_norm", "mup"},
              f"{where}.attn_kwargs")  # fmt: skip
    for key in ("do_qk_norm", "do_v_norm"):
        if ak.get(key) and norm_type != "hybrid":  # hybrid blocks set both (as salt's EncoderLayer)
            fail(f"{where}.attn_kwargs.{key}", f"halite's attention has no `{key}`; remove it.")
    if ak.get("bias", True) is not True:
        fail(f"{where}.attn_kwargs.bias", "halite's attention projections have biases; remove `bias: false`.")
    out["num_heads"] = int(ak.get("num_heads", 1))  # salt's Attention default: one head
    dropout = {float(dk.get("dropout", 0.0)), float(ak.get("dropout", 0.0))}
    if len(dropout) > 1:
        fail(f"{where}.attn_kwargs.dropout", f"halite uses one dropout in the blocks; got {sorted(dropout)}.")
    out["dropout"] = dropout.pop()
    return {"class_path": "halite.nn.TransformerEncoder", "init_args": out}, out.get("out_dim", embed_dim)


def attention(node: Any, where: str) -> dict[str, Any] | None:
    """salt ``mha_config.attention`` -> halite attention factory (None: the default SDPA)."""
    path, init = class_name(node, where)
    if path not in ATTENTIONS:
        fail(f"{where}.class_path", f"'{path}' is unknown; translated attentions: {sorted(ATTENTIONS)}.")
    target = ATTENTIONS[path]
    if target is None:
        return None
    args = take(init, {"num_heads", "head_dim", "activation"}, where)
    if args.pop("activation", "LeakyReLU") != "LeakyReLU":
        fail(f"{where}.activation", "halite's GATv2Attention scores with LeakyReLU only.")
    return {"class_path": target, "init_args": args}


def mha(cfg: Mapping[str, Any], where: str) -> tuple[int, dict[str, Any] | None]:
    """Older salt ``mha_config`` -> (num_heads, attention factory)."""
    m = take(cfg, {"num_heads", "attention", "out_proj", "gnn"}, where)
    att = attention(m["attention"], f"{where}.attention") if "attention" in m else None
    if "gnn" in m:  # salt's GATv2 as a `gnn:` block
        att = attention({"class_path": "salt.models.GATv2Attention", "init_args": m["gnn"]}, f"{where}.gnn")
    heads = int(m.get("num_heads", 1))
    if att is not None:
        att["init_args"].setdefault("num_heads", heads)
    return heads, att


def ffn(cfg: Mapping[str, Any] | None, embed_dim: int, where: str) -> dict[str, Any]:
    """Older salt block ``dense_config`` -> halite's ``activation`` / ``hidden_dim_scale`` / ``dropout``."""
    d = take(cfg or {}, {"activation", "hidden_layers", "hidden_dim_scale", "dropout", "norm_layer"}, where)
    out: dict[str, Any] = {"activation": d.get("activation", "ReLU"), "dropout": float(d.get("dropout", 0.0))}
    hidden = d.get("hidden_layers")
    if hidden is not None:
        if len(hidden) != 1:
            fail(f"{where}.hidden_layers", f"halite's block feed-forward has one hidden layer; got {hidden}.")
        out["hidden_dim_scale"] = _scale(hidden[0], embed_dim, f"{where}.hidden_layers")
    elif "hidden_dim_scale" in d:
        out["hidden_dim_scale"] = int(d["hidden_dim_scale"])
    if d.get("norm_layer"):
        fail(f"{where}.norm_layer", "halite's blocks are pre-norm with LayerNorm already; remove norm_layer.")
    return out


def legacy_encoder(
    path: str, init: Mapping[str, Any], where: str, notes: list[str]
) -> tuple[dict[str, Any], int]:
    """Older ``TransformerEncoder`` / ``TransformerCrossAttentionEncoder`` -> halite's."""
    keys = {"embed_dim", "num_layers", "mha_config", "dense_config", "sa_dense_config", "out_dim",
            "context_dim", "input_names", "ca_every_layer", "update_edges"}  # fmt: skip
    a = take(init, keys, where)
    embed_dim = int(a["embed_dim"])
    out: dict[str, Any] = {"embed_dim": embed_dim, "num_layers": int(a["num_layers"])}
    heads, att = mha(a.get("mha_config") or {}, f"{where}.mha_config")
    out["num_heads"] = heads
    if att is not None:
        out["attention"] = att
    dense_cfg = a.get("sa_dense_config") if "sa_dense_config" in a else a.get("dense_config")
    out.update(
        ffn(
            dense_cfg, embed_dim, f"{where}.{'sa_dense_config' if 'sa_dense_config' in a else 'dense_config'}"
        )
    )
    if "sa_dense_config" in a and a.get("dense_config") not in (None, a.get("sa_dense_config")):
        notes.append(f"{where}.dense_config: halite uses sa_dense_config for the cross-attention blocks too")
    if a.get("out_dim") is not None:
        out["out_dim"] = int(a["out_dim"])
    if a.get("context_dim"):
        fail(
            f"{where}.context_dim",
            "halite's encoder takes no context; use featurewise_nets at layer encoder.",
        )
    if a.get("update_edges"):
        fail(
            f"{where}.update_edges",
            "halite's TransformerEncoder does not update edges; see halite.nn.EdgeTransformerEncoder.",
        )
    target = LEGACY_ENCODERS[path]
    if target.endswith("CrossAttentionEncoder"):
        if "input_names" not in a:
            fail(f"{where}.input_names", "give the streams cross-attending, as salt does.")
        out["input_names"] = list(a["input_names"])
        out["ca_every_layer"] = bool(a.get("ca_every_layer", False))
    return {"class_path": target, "init_args": out}, out.get("out_dim", embed_dim)


def pooling(node: Any, where: str, notes: list[str], width: int) -> dict[str, Any]:
    """salt pooling -> halite's (``input_size`` is checked against the encoder output, then dropped)."""
    path, init = class_name(node, where)
    if path == "salt.models.GlobalAttentionPooling":
        a = take(init, {"input_size"}, where)
    elif path == "salt.models.CrossAttentionPooling":
        a = take(init, {"input_size", "num_layers", "mha_config", "dense_config", "context_dim"}, where)
    else:
        fail(
            f"{where}.class_path",
            f"'{path}' has no halite pooling; translated: GlobalAttentionPooling, CrossAttentionPooling.",
        )
    size = a.pop("input_size", width)
    if int(size) != width:
        fail(
            f"{where}.input_size", f"{size} differs from the encoder output width {width}; set it to {width}."
        )
    if path == "salt.models.GlobalAttentionPooling":
        return {"class_path": "halite.nn.GlobalAttentionPooling"}
    if a.get("context_dim"):
        fail(f"{where}.context_dim", "halite's pooling takes no context; remove context_dim.")
    out: dict[str, Any] = {"num_layers": int(a.get("num_layers", 2))}
    heads, att = mha(a.get("mha_config") or {}, f"{where}.mha_config")
    out["num_heads"] = heads
    if att is not None:
        out["attention"] = att
    out.update(ffn(a.get("dense_config"), width, f"{where}.dense_config"))
    return {"class_path": "halite.nn.CrossAttentionPooling", "init_args": out}


__all__ = ["SaltConfigError", "encoder", "pooling"]
