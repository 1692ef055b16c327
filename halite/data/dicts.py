"""Norm dicts and class dicts in salt / UPP format: loading and validation, in one place.

* norm dict ``{stream: {variable: {"mean": m, "std": s}}}`` (``halite prep``, salt, UPP),
* class dict ``{stream: {label: [w0, w1, ...]}}`` (class weights, index = class).

Both are given as a path (local, or an fsspec URL such as ``s3://``, read through
:func:`halite.io.read_yaml`) or as the dict itself. Errors name the file (``<dict>`` for
a dict) and the stream and variable or label at fault. A run directory keeps copies of
the dicts it was trained with (:data:`RUN_DICTS`, :func:`run_copy`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from halite.data.remote import join
from halite.data.specs import GLOBAL
from halite.errors import DataError, did_you_mean
from halite.io import read_yaml

#: ``{stream: {variable: {"mean": m, "std": s}}}``
NormDict = dict[str, dict[str, dict[str, float]]]
#: ``{stream: {label: [w0, w1, ...]}}``
ClassDict = dict[str, dict[str, list[float]]]

#: ``data.<key>`` dicts a run directory keeps a copy of, as ``<run>/<key>.yaml``
RUN_DICTS = ("norm_dict", "class_dict")


def run_copy(run_dir: str | os.PathLike[str], key: str) -> str | Path:
    """Where a run directory keeps its copy of dict ``key`` (one of :data:`RUN_DICTS`)."""
    if key not in RUN_DICTS:
        msg = f"'{key}' is not a dict a run directory keeps; valid keys are {list(RUN_DICTS)}."
        raise DataError(msg)
    return join(run_dir, f"{key}.yaml")


def _read(source: str | os.PathLike[str] | Mapping) -> tuple[Any, str]:
    """(contents, name for messages) of a path or a dict."""
    if isinstance(source, (str, os.PathLike)):
        return read_yaml(source), str(source)
    return source, "<dict>"


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _as_number(x: object) -> object:
    """Numbers unchanged; numeric strings (PyYAML reads ``1e5`` as a string) as float."""
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return x
    return x


def load_norm_dict(
    source: str | os.PathLike[str] | Mapping,
    variables: Mapping[str, Sequence[str]] | None = None,
    global_object: str | None = None,
) -> NormDict:
    """A salt / UPP norm dict, checked.

    Parameters
    ----------
    source
        YAML file (local path or URL) or the dict itself.
    variables
        Input variables per stream the dict must serve. ``None``: the whole dict is checked
        (every entry needs numeric ``mean`` and ``std``; numeric strings such as ``1e5``,
        which PyYAML does not read as numbers, become floats). Given: only these entries
        are checked, each needing a finite ``mean`` and a finite ``std > 0``.
    global_object
        With ``variables``: a ``GLOBAL`` stream missing from the dict reads the global
        object's entry (``GLOBAL`` variables come from the global object's dataset).

    Returns
    -------
    NormDict
        The dict (with ``variables``: plus the ``GLOBAL`` alias where one was added).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If an entry is missing or malformed; the message names the file, stream and variable.
    """
    data, name = _read(source)
    if variables is None:
        return _check_whole_norm_dict(data, name)
    if isinstance(data, Mapping) and GLOBAL in variables and GLOBAL not in data and global_object in data:
        data = {**data, GLOBAL: data[global_object]}  # GLOBAL reads the global object
    check_norm_dict(data, variables, name)
    return dict(data)


def _check_whole_norm_dict(data: Any, name: str) -> NormDict:
    if not isinstance(data, Mapping) or not data:
        msg = f"Norm dict {name} must be a non-empty mapping stream -> variable -> {{mean, std}}."
        raise DataError(msg)
    out: NormDict = {}
    for stream, entries in data.items():
        if not isinstance(entries, Mapping):
            msg = f"Norm dict {name}: stream '{stream}' must map variables to {{mean, std}}, got {entries!r}."
            raise DataError(msg)
        out[stream] = {}
        for var, entry in entries.items():
            if isinstance(entry, Mapping):
                entry = {**entry, **{k: _as_number(entry[k]) for k in ("mean", "std") if k in entry}}
            if not isinstance(entry, Mapping) or not all(_is_number(entry.get(k)) for k in ("mean", "std")):
                msg = (
                    f"Norm dict {name}: variable '{var}' of stream '{stream}' needs numeric 'mean' and "
                    f"'std', got {entry!r}. Fix the entry or re-run `halite prep`."
                )
                raise DataError(msg)
            out[stream][var] = dict(entry)
    return out


def check_norm_dict(norm: Any, variables: Mapping[str, Sequence[str]], source: str) -> None:
    """Check that ``norm`` has a usable mean and std for every input variable.

    Raises ``ValueError`` naming ``source`` (the file), the stream and the variable.
    """
    if not isinstance(norm, Mapping):
        msg = (
            f"Norm dict {source} must map stream -> variable -> {{mean, std}}; it holds a "
            f"{type(norm).__name__}. Re-create it with `halite prep`."
        )
        raise DataError(msg)
    for stream, names in variables.items():
        if stream not in norm:
            msg = (
                f"Norm dict {source} has no entry for stream '{stream}' (has {sorted(norm)}).{did_you_mean(stream, norm)} "
                f"Re-run `halite prep` or add it."
            )
            raise DataError(msg)
        for var in names:
            entry = norm[stream].get(var) if isinstance(norm[stream], Mapping) else None
            if entry is None or "mean" not in entry or "std" not in entry:
                msg = (
                    f"Norm dict {source} has no mean/std for variable '{var}' of stream '{stream}'."
                    f"{did_you_mean(var, norm[stream] if isinstance(norm[stream], Mapping) else ())} "
                    f"Re-run `halite prep` with this variable or remove it from data.variables."
                )
                raise DataError(msg)
            std = float(entry["std"])
            if not np.isfinite(std) or std <= 0 or not np.isfinite(float(entry["mean"])):
                msg = (
                    f"Norm dict {source}: variable '{var}' of stream '{stream}' has std={entry['std']} "
                    f"and mean={entry['mean']}; std must be finite and > 0. Fix the entry or re-run "
                    f"`halite prep`."
                )
                raise DataError(msg)


def load_class_dict(source: str | os.PathLike[str] | Mapping) -> ClassDict:
    """A salt / UPP class dict ``{stream: {label: [w0, w1, ...]}}``, checked.

    Every label needs a non-empty list of numeric weights; numeric strings such as ``1e5``
    (which PyYAML does not read as numbers) become floats.

    Parameters
    ----------
    source
        YAML file (local path or URL) or the dict itself.

    Returns
    -------
    ClassDict
        The dict.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the structure is wrong; the message names the file, stream and label.
    """
    data, name = _read(source)
    if not isinstance(data, Mapping) or not data:
        msg = f"Class dict {name} must be a non-empty mapping stream -> label -> [weights]."
        raise DataError(msg)
    out: ClassDict = {}
    for stream, entries in data.items():
        if not isinstance(entries, Mapping):
            msg = f"Class dict {name}: stream '{stream}' must map labels to weight lists, got {entries!r}."
            raise DataError(msg)
        out[stream] = {}
        for label, weights in entries.items():
            if isinstance(weights, list):
                weights = [_as_number(w) for w in weights]
            if not isinstance(weights, list) or not weights or not all(_is_number(w) for w in weights):
                msg = (
                    f"Class dict {name}: label '{label}' of stream '{stream}' needs a non-empty list of "
                    f"numeric weights, got {weights!r}. Fix the entry or re-run `halite prep`."
                )
                raise DataError(msg)
            out[stream][label] = weights
    return out
