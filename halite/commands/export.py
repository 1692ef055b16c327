"""``halite export``: export a checkpoint to ONNX and check parity with PyTorch."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


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
        "--parity-file", type=str, default=None, help="HDF5 file of real jets (default: data.test_file)"
    )
    ap.add_argument("--parity-jets", type=int, default=1000, help="real jets used in the parity check")
    ap.add_argument("--tolerance", type=float, default=1e-5, help="max abs difference allowed")
    ap.add_argument("--opset", type=int, default=18)
    return ap


def real_batches(dm, parity_file: str | None, num_jets: int) -> list:
    """First ``num_jets`` jets of the parity file (raw inputs), or [] when no file is available."""
    files = parity_file or dm.test_file
    if not files:
        print("No parity file given and data.test_file is unset: checking random jets only.")
        return []
    dm.test_file = files
    dm.num_test = -1
    dm.require_labels({})
    dataset = dm.dataset("test")
    dataset.num_jets = min(dataset.num_jets, num_jets)
    return list(iter(dataset))


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``halite export``."""
    from halite.export.metadata import build_metadata, read_metadata, write_metadata
    from halite.export.onnx import OnnxWrapper, export_onnx, parity_check

    args = parser().parse_args(argv)
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
    in_names, out_names = export_onnx(wrapper, output, args.opset)
    write_metadata(output, build_metadata(lit, config, dict(zip(wrapper.streams, in_names)), out_names))
    print(f"Exported {output} with inputs {in_names} and outputs {out_names}")
    batches = real_batches(dm, args.parity_file, args.parity_jets)
    max_slots = max((dm.num_inputs.get(s, 40) for s in wrapper.streams if s not in wrapper.flat), default=0)
    result = parity_check(output, wrapper, in_names, out_names, batches, max_slots)
    print(
        f"Parity check ({result.num_real_jets} real jets, {result.num_random_jets} random jets with "
        f"0..{max_slots} constituents, {result.seconds:.1f} s):"
    )
    for name, diff in result.max_abs_diff.items():
        print(f"  {name:<40} max |onnx - torch| / max(1, |torch|) = {diff:.2e}")
    if result.worst > args.tolerance:
        print(
            f"halite export: error: parity check failed: max difference {result.worst:.2e} > {args.tolerance:.0e}. "
            f"The exported file is kept at {output} for inspection.",
            file=sys.stderr,
        )
        return 1
    print(f"Parity check passed (max difference {result.worst:.2e} <= {args.tolerance:.0e}).")
    return 0
