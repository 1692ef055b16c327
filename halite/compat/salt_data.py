"""salt's ``data`` block in halite's schema (JetDataModule's keys, salt's special streams, S3)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from halite.compat.salt_model import fail, take

#: salt data keys halite's JetDataModule reads with the same meaning
_DATA_SAME = {
    "train_file", "val_file", "test_file", "variables", "norm_dict", "class_dict", "global_object",
    "num_inputs", "input_map", "num_train", "num_val", "num_test", "batch_size", "num_workers",
    "pin_memory", "PARAMETERS", "multi_target",
}  # fmt: skip
#: salt 0.13's lower-case special streams -> halite's names (``halite.data.specs.GLOBAL``, ``PARAMETERS``)
_STREAM_NAMES = {"global": "GLOBAL", "parameters": "PARAMETERS"}
#: salt's S3 keys: passed unchanged (halite's JetDataModule reads salt's S3 keys)
_DATA_S3 = {
    "use_S3",
    "download_S3",
    "pubKey",
    "secKey",
    "url",
    "bucket",
    "download_path",
    "download_files",
    "config_s3",
}
#: loader tuning that halite's data module decides itself
_DATA_DROPPED = {
    "persistent_workers": "halite keeps its workers for the run",
    "prefetch_factor": "halite's loader reads whole batches per block",
    "multiprocessing_context": "halite picks the worker start method",
    "move_files_temp": "halite reads the files in place (block reads); copy them to fast storage yourself",
}


def data_block(d: Mapping[str, Any], notes: list[str]) -> tuple[dict[str, Any], dict[str, Any], str]:
    a = take(
        d,
        _DATA_SAME
        | {"parameters"}
        | _DATA_S3
        | set(_DATA_DROPPED)
        | {"labeller_config", "test_suff", "non_finite_to_num", "selections"},
        "data",
    )
    for key, why in _DATA_DROPPED.items():
        if key in a:
            a.pop(key)
            notes.append(f"data.{key}: {why}; dropped")
    for key in ("labeller_config", "test_suff"):
        if a.get(key):
            fail(f"data.{key}", "not available in halite; remove it (labels: write them with `halite prep`).")
        a.pop(key, None)
    if "selections" in a:
        if a.pop("selections"):
            fail(
                "data.selections",
                "salt's per-stream constituent cuts are not applied by halite's data module; remove "
                "them and write the selected constituents with `halite prep` (or cut when you make the files).",
            )
        notes.append("data.selections: null (no constituent cuts); dropped")
    input_map = dict(a.get("input_map") or {})
    if "global" in input_map:  # salt reads the `global` variables from the global object
        input_map.pop("global")
        a["input_map"] = input_map
        notes.append(
            "data.input_map.global: salt and halite read the global variables from the global object; dropped"
        )
    if "non_finite_to_num" in a and a.pop("non_finite_to_num"):
        a["non_finite"] = "zero"
        notes.append("data.non_finite_to_num: true -> data.non_finite: zero (NaN / inf inputs read as 0)")
    variables = {}
    for k, v in (a.get("variables") or {}).items():
        name = _STREAM_NAMES.get(k, k)
        if name != k:
            notes.append(f"data.variables.{k}: salt 0.13's lower-case name of halite's {name} entry")
        variables[name] = list(v or [])
    if "parameters" in a:
        a["PARAMETERS"] = a.pop("parameters")
        notes.append("data.parameters: halite's data.PARAMETERS (train / test values per parameter)")
    a["variables"] = variables
    return copy.deepcopy(a), variables, str(a.get("global_object", "jets"))
