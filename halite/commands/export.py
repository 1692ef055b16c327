"""``halite export``: export a checkpoint to ONNX and check parity with PyTorch."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="halite export",
        description="Export a checkpoint to ONNX (normalisation inside the graph) and check it against PyTorch.",
    )
    ap.add_argument("--ckpt_path", type=Path, help="checkpoint (.ckpt) from <run>/ckpts/")
    ap.add_argument("--config", type=Path, default=None, help="run config (default: <run>/config.yaml)")
    ap.add_argument(
        "--tasks", nargs="+", default=None, help="task names to export (default: global-object tasks)"
    )
    ap.add_argument(
        "--output", "-o", type=Path, default=None, help="output file (default: <run>/network.onnx)"
    )
    ap.add_argument("--force", action="store_true", help="overwrite an existing output file")
    ap.add_argument(
        "--show", type=Path, default=None, metavar="ONNX", help="print the metadata of an exported model"
    )
    ap.add_argument(
        "--data",
        "--parity-file",
        dest="data",
        type=str,
        default=None,
        metavar="FILE",
        help="HDF5 file(s) of jets for the parity check (default: the run's data.test_file, else "
        "data.val_file, else data.train_file, whichever exists; else jets sampled from the norm dict)",
    )
    ap.add_argument(
        "--parity-jets", type=int, default=1000, help="jets (real or sampled) used in the parity check"
    )
    ap.add_argument("--tolerance", type=float, default=1e-5, help="max abs difference allowed")
    ap.add_argument("--opset", type=int, default=18)
    return ap


@dataclass
class ParityData:
    """Jets for the parity check and where they come from."""

    batches: list[Any]
    kind: str  # "real" or "sampled"
    source: str


def find_parity_file(dm: Any, data: str | None) -> tuple[str | list[str] | None, str, list[str]]:
    """The file for the parity check: ``--data``, else the run's test / val / train file that exists.

    Returns the file (None when none exists), the option it comes from and why the others were skipped.
    """
    from halite.data.readers import expand_files

    if data is not None:
        expand_files(data)  # an error naming the file when it is missing
        return data, "--data", []
    skipped = []
    for split in ("test", "val", "train"):
        files = getattr(dm, f"{split}_file")
        if not files:
            skipped.append(f"data.{split}_file is unset")
            continue
        try:
            expand_files(files)
        except OSError:
            skipped.append(f"data.{split}_file {files} not found")
            continue
        return files, f"data.{split}_file", skipped
    return None, "", skipped


def parity_data(
    dm: Any, wrapper: Any, data: str | None, num_jets: int, max_slots: dict[str, int]
) -> ParityData:
    """First ``num_jets`` jets (raw inputs) of the parity file, else ``num_jets`` jets sampled from the norm dict."""
    from halite.export.sampled import mean_constituents, sampled_batch

    files, source, skipped = find_parity_file(dm, data)
    if skipped:
        print("Parity data: " + "; ".join(skipped) + ".")
    if files is None:
        counts = ", ".join(
            f"{s} Poisson mean {mean_constituents(n):.0f} of {n}" for s, n in max_slots.items()
        )
        print(
            f"Parity check on {num_jets} jets sampled from the norm dict (each variable Gaussian with its "
            f"mean and std; valid constituents per jet: {counts or 'none'}); pass --data FILE to use real jets."
        )
        batch = sampled_batch(wrapper, num_jets, max_slots)
        return ParityData([batch], "sampled", "the norm dict")
    print(f"Parity check on real jets from {source} ({files}).")
    dm.test_file = files
    dm.num_test = -1
    dm.require_labels({})
    dataset = dm.dataset("test")
    dataset.num_jets = min(dataset.num_jets, num_jets)
    return ParityData(list(iter(dataset)), "real", source)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``halite export``."""
    args = parser().parse_args(argv)  # before the imports: `--help` and bad arguments stay fast
    from halite.export.metadata import build_metadata, read_metadata, write_metadata
    from halite.export.onnx import OnnxWrapper, ParityError, export_onnx, parity_check
    from halite.io import atomic_path

    if args.show is not None:
        meta = read_metadata(args.show)
        config = meta.pop("config", None)
        print(json.dumps(meta, indent=2))
        if config is not None:
            print(f"(resolved training config stored: {len(json.dumps(config))} characters)")
        return 0
    if args.ckpt_path is None:
        parser().error("--ckpt_path is required (or --show ONNX)")
    from halite.commands._build import load_run
    from halite.training.restore import find_run_config

    cfg_path = args.config or find_run_config(args.ckpt_path)
    output = args.output or cfg_path.parent / "network.onnx"
    if output.exists() and not args.force:
        print(f"halite export: error: {output} exists; pass --force to overwrite it.", file=sys.stderr)
        return 2
    lit, dm, config = load_run(args.ckpt_path, cfg_path)
    wrapper = OnnxWrapper(lit, args.tasks)
    slots = {s: dm.num_inputs.get(s, 40) for s in wrapper.streams if s not in wrapper.flat}
    max_slots = max(slots.values(), default=0)
    data = parity_data(dm, wrapper, args.data, args.parity_jets, slots)
    try:
        # nothing appears under `output` unless the parity check passes
        with atomic_path(output) as tmp:
            in_names, out_names = export_onnx(wrapper, tmp, args.opset)
            write_metadata(tmp, build_metadata(lit, config, dict(zip(wrapper.streams, in_names)), out_names))
            print(f"Exported inputs {in_names} and outputs {out_names}")
            result = parity_check(tmp, wrapper, in_names, out_names, data.batches, max_slots)
            print(
                f"Parity check ({result.num_real_jets} {data.kind} jets from {data.source}, "
                f"{result.num_random_jets} random jets with 0..{max_slots} constituents, {result.seconds:.1f} s):"
            )
            for name, diff in result.max_abs_diff.items():
                print(f"  {name:<40} max |onnx - torch| / max(1, |torch|) = {diff:.2e}")
            if result.worst > args.tolerance:
                msg = (
                    f"max difference {result.worst:.2e} (output '{result.worst_output}') > --tolerance "
                    f"{args.tolerance:.0e}"
                )
                raise ParityError(msg)
    except ParityError as err:
        print(
            f"halite export: error: parity check failed: {err}; nothing written to {output}. "
            "Pass a larger --tolerance if the difference is acceptable for this model.",
            file=sys.stderr,
        )
        return 1
    print(f"Parity check passed (max difference {result.worst:.2e} <= {args.tolerance:.0e}).")
    print(f"Exported {output}")
    return 0
