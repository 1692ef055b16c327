"""``halite prep``: compute the norm dict and class dict of a training file.

The command line around :mod:`halite.data.prep` (HDF5) and :func:`halite.data.columnar.stats.prep_columnar`
(ROOT / parquet): reads the defaults from a config's ``data`` section, writes both YAML files and
prints what it wrote.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _parse_labels(text: str) -> dict[str, list[str]]:
    """Parse ``"jets:flavour_label,tracks:ftagTruthOriginLabel"``."""
    labels: dict[str, list[str]] = {}
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        stream, sep, label = item.partition(":")
        if not sep or not stream.strip() or not label.strip():
            msg = f"--labels entry '{item}' must look like stream:label (e.g. jets:flavour_label)."
            raise ValueError(msg)
        labels.setdefault(stream.strip(), []).append(label.strip())
    return labels


def _check_variables(variables: Any, source: str) -> dict[str, list[str]]:
    if isinstance(variables, dict) and "variables" in variables and isinstance(variables["variables"], dict):
        variables = variables["variables"]
    ok = (
        isinstance(variables, dict)
        and variables
        and all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in variables.values())
    )
    if not ok:
        msg = (
            f"Variables in {source} must be a mapping stream -> list of variable names, e.g. "
            f"{{jets: [pt_btagJes, eta_btagJes], tracks: [d0, ...]}}; got {variables!r}."
        )
        raise ValueError(msg)
    return {str(k): list(v) for k, v in variables.items()}


def _config_data(path: str) -> dict[str, Any]:
    """The ``data`` section of a halite config (flat keys or Lightning ``init_args``)."""
    from halite.io import read_yaml

    cfg = read_yaml(path)
    data = cfg.get("data") if isinstance(cfg, dict) else None
    if not isinstance(data, dict):
        msg = f"Config {path} has no 'data:' section; expected data.variables, data.train_file, ..."
        raise ValueError(msg)
    init_args = data.get("init_args")
    if isinstance(init_args, dict):
        data = {**{k: v for k, v in data.items() if k != "init_args"}, **init_args}
    return data


def _available_labels(
    file: Path, labels: dict[str, list[str]], input_map: Mapping[str, str]
) -> dict[str, list[str]]:
    """Keep only the default labels present in ``file`` (missing ones are skipped with a note)."""
    import h5py

    from halite.data.prep import _open

    kept: dict[str, list[str]] = {}
    with _open(file) as f:
        for stream, names in labels.items():
            ds_name = input_map.get(stream, stream)
            ds = f.get(ds_name)
            fields = set(ds.dtype.names or ()) if isinstance(ds, h5py.Dataset) else set()
            present = [n for n in names if n in fields]
            skipped = [n for n in names if n not in fields]
            if skipped:
                print(f"note: {file} has no {skipped} in dataset '{ds_name}'; no class weights for them")
            if present:
                kept[stream] = present
    return kept


def parser() -> argparse.ArgumentParser:
    from halite.data.prep import DEFAULT_LABELS

    parser = argparse.ArgumentParser(
        prog="halite prep",
        description=(
            "Compute the normalisation dict (mean/std per input variable over valid entries) and the "
            "class-weight dict of a training file, in salt/UPP YAML format."
        ),
    )
    parser.add_argument("--config", help="halite training config; its data section provides the defaults")
    parser.add_argument("--file", help="training HDF5 file (default: data.train_file of --config)")
    parser.add_argument(
        "--variables",
        help="YAML file mapping stream -> list of variables (default: data.variables or the GN2 set)",
    )
    parser.add_argument(
        "--labels",
        help=f"class labels as stream:label,... (default: {DEFAULT_LABELS}, restricted to used streams)",
    )
    parser.add_argument("--norm-dict", help="output norm dict (default: data.norm_dict or next to the file)")
    parser.add_argument(
        "--class-dict", help="output class dict (default: data.class_dict or next to the file)"
    )
    parser.add_argument("--num-jets", type=int, default=None, help="use only the first N jets (default: all)")
    parser.add_argument(
        "--block-size", type=int, default=100_000, help="jets read per step (default: %(default)s)"
    )
    return parser


def _run(args: argparse.Namespace) -> int:
    from halite.data.columnar.sources import is_columnar
    from halite.data.columnar.stats import prep_columnar
    from halite.data.prep import DEFAULT_LABELS, DEFAULT_VARIABLES, compute_class_dict, compute_norm_dict
    from halite.io import read_yaml, write_yaml

    data = _config_data(args.config) if args.config else {}

    file = args.file or data.get("train_file")
    if isinstance(file, list):
        if len(file) > 1:
            print(f"note: data.train_file lists {len(file)} files; using the first, {file[0]}")
        file = file[0] if file else None
    if not file:
        msg = "No training file: pass --file or --config with data.train_file."
        raise ValueError(msg)
    file = Path(file)

    if args.variables:
        variables = _check_variables(read_yaml(args.variables), args.variables)
    elif data.get("variables") is not None:
        variables = _check_variables(data["variables"], f"config {args.config} (data.variables)")
    else:
        variables = {k: list(v) for k, v in DEFAULT_VARIABLES.items()}
    input_map = dict(data.get("input_map") or {})
    glob = input_map.get(data.get("global_object", "jets"), data.get("global_object", "jets"))
    for special in ("GLOBAL", "PARAMETERS"):  # read from the global object's dataset by default
        if special in variables:
            input_map.setdefault(special, glob)

    norm_path = Path(args.norm_dict or data.get("norm_dict") or file.parent / "norm_dict.yaml")
    class_path = Path(args.class_dict or data.get("class_dict") or file.parent / "class_dict.yaml")

    t0 = time.perf_counter()
    if is_columnar(file):  # ROOT / parquet, described by data.columnar
        given = _parse_labels(args.labels) if args.labels else None
        norm, classes = prep_columnar(file, data, variables, given, args.num_jets)
    else:
        labels = _parse_labels(args.labels or DEFAULT_LABELS)
        if not args.labels:
            labels = _available_labels(file, {s: v for s, v in labels.items() if s in variables}, input_map)
        norm = compute_norm_dict(
            file,
            variables,
            input_map,
            args.num_jets,
            args.block_size,
            new_variables=data.get("new_variables"),
            global_object=data.get("global_object", "jets"),
        )
        classes = (
            compute_class_dict(file, labels, input_map, args.num_jets, args.block_size) if labels else {}
        )
    write_yaml(norm_path, norm)
    n_vars = sum(len(v) for v in norm.values())
    print(f"norm dict: {n_vars} variables in streams {list(norm)} -> {norm_path}")
    if classes:
        write_yaml(class_path, classes)
        print(f"class dict -> {class_path}")
        for stream, entries in classes.items():
            for label, weights in entries.items():
                print(f"  {stream}.{label}: " + ", ".join(f"{w:.3g}" for w in weights))
    else:
        print("class dict: no labels, not written")
    print(f"done in {time.perf_counter() - t0:.1f} s ({file})")
    return 0


def main(argv: list[str]) -> int:
    """Entry point of ``halite prep``.

    Parameters
    ----------
    argv
        Command-line arguments after ``halite prep``.

    Returns
    -------
    int
        0 on success; a user error raises (``halite.commands.main`` prints it and exits with 2).
    """
    return _run(parser().parse_args(argv))
