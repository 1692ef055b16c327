"""muP widths in configs: salt's ``mup_config`` as a ``MupConfig``, and configs at another width.

salt writes its muP set-up under ``model.mup_config`` (``model.muP_config`` before salt 0.11.1)::

    mup_config:
      shape_path: ./shape_mup          # a folder: <shape_path>/storeshapes
      embed_dim:                       # one named entry: the scaled width
        apply_to: [init_nets, encoder]
        parameter_name: [output_size, embed_dim]
        parameter_base: 128
        parameter_delta: 4

Without ``shape_path`` the folder is ``./temp_mup/`` (``./temp_muP/`` for ``muP_config``), as in
salt. ``scaled_config`` sets the width of a config the way salt's ``setup_mup`` does: in the
``model.model.init_args`` block of each ``apply_to`` entry, every (nested) key
``parameter_name`` takes the width.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from halite.training.mup import MupConfig

#: salt's muP keys in ``model`` (0.13 spelling first) and the default folder of each
SALT_KEYS = {"mup_config": "./temp_mup/", "muP_config": "./temp_muP/"}
#: the base-shapes file salt writes into the muP folder
SHAPES_FILE = "storeshapes"
ENTRY_KEYS = {"apply_to", "parameter_name", "parameter_base", "parameter_delta"}


def salt_folder(raw: dict[str, Any], key: str = "mup_config") -> Path:
    """The folder of salt's muP files: ``shape_path``, else salt's default for ``key``."""
    return Path(str(raw.get("shape_path") or SALT_KEYS[key]))


def from_salt(raw: dict[str, Any] | None, key: str = "mup_config") -> MupConfig | None:
    """The ``MupConfig`` of salt's ``model.<key>`` block (``None`` when absent or empty, as in salt)."""
    if not raw:
        return None
    entries = {k: v for k, v in raw.items() if k != "shape_path"}
    if len(entries) != 1:
        msg = (
            f"model.{key} needs exactly one scaled width (an entry such as embed_dim: {{apply_to, "
            f"parameter_name, parameter_base, parameter_delta}}); got {sorted(entries)}. halite's muP "
            f"scales one width: keep one entry."
        )
        raise ValueError(msg)
    ((name, entry),) = entries.items()
    if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS:
        have = sorted(entry) if isinstance(entry, dict) else entry
        msg = f"model.{key}.{name} needs the keys {sorted(ENTRY_KEYS)}; got {have}."
        raise ValueError(msg)
    listed = {
        k: [entry[k]] if isinstance(entry[k], str) else list(entry[k]) for k in ("apply_to", "parameter_name")
    }
    return MupConfig(
        shape_path=str(salt_folder(raw, key) / SHAPES_FILE),
        parameter_base=int(entry["parameter_base"]),
        parameter_delta=int(entry["parameter_delta"]),
        **listed,
    )


def resolve(
    mup: MupConfig | None, mup_config: dict[str, Any] | None, muP_config: dict[str, Any] | None
) -> MupConfig | None:
    """The one muP set-up of ``model.mup`` (halite), ``model.mup_config`` or ``model.muP_config`` (salt)."""
    given = {k: v for k, v in (("mup", mup), ("mup_config", mup_config), ("muP_config", muP_config)) if v}
    if len(given) > 1:
        msg = f"model.{' and model.'.join(given)} are all muP set-ups; keep one."
        raise ValueError(msg)
    if mup_config:
        return from_salt(mup_config, "mup_config")
    if muP_config:
        return from_salt(muP_config, "muP_config")
    return mup


def find_all(node: Any, key: str) -> list[Any]:
    """Every value of ``key`` in the nested dicts / lists ``node``."""
    if isinstance(node, dict):
        return [v for k, child in node.items() for v in ([child] if k == key else find_all(child, key))]
    if isinstance(node, list):
        return [v for child in node for v in find_all(child, key)]
    return []


def set_all(node: Any, key: str, value: Any) -> int:
    """Set every ``key`` in the nested dicts / lists ``node`` to ``value``; returns how many."""
    count = 0
    if isinstance(node, dict):
        for k, child in node.items():
            if k == key:
                node[k] = value
                count += 1
            else:
                count += set_all(child, key, value)
    elif isinstance(node, list):
        count += sum(set_all(child, key, value) for child in node)
    return count


def scaled_config(cfg: dict[str, Any], mup: MupConfig, width: int) -> dict[str, Any]:
    """A copy of the config dict ``cfg`` with muP's scaled width set to ``width``.

    For ``num_heads`` the head width ``embed_dim / num_heads`` stays fixed: ``embed_dim`` (and an
    init net's ``output_size`` equal to it) becomes ``width * head_dim``, so the base and delta
    models differ along the scaled dimension.
    """
    out = copy.deepcopy(cfg)
    blocks = out["model"]["model"]["init_args"]
    for block, name in mup.pairs:
        if block not in blocks:
            msg = f"mup.apply_to names '{block}', which is not a key of model.model.init_args ({sorted(blocks)})."
            raise ValueError(msg)
        if name == "num_heads":
            heads, dims = find_all(blocks[block], "num_heads"), find_all(blocks[block], "embed_dim")
            if not heads or not dims:
                msg = (
                    f"Scaling num_heads needs num_heads and embed_dim in model.model.init_args.{block}; "
                    f"found num_heads={heads}, embed_dim={dims}."
                )
                raise ValueError(msg)
            embed, head_dim = int(dims[0]), int(dims[0]) // int(heads[0])
            set_all(blocks[block], "num_heads", width)
            set_all(blocks[block], "embed_dim", width * head_dim)
            for net in blocks.get("init_nets") or []:
                dense = net.get("dense_config") if isinstance(net, dict) else None
                if isinstance(dense, dict) and dense.get("output_size") == embed:
                    dense["output_size"] = width * head_dim
        elif not set_all(blocks[block], name, width) and not (block == "init_nets" and name == "output_size"):
            # halite's init nets take the encoder width when output_size is not written
            msg = f"mup.parameter_name '{name}' is not a key of model.model.init_args.{block}; name its width key."
            raise ValueError(msg)
    return out
