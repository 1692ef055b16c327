"""``halite evaluate``: write a report (plots, index.html, summary.json) from predictions."""

from __future__ import annotations

import argparse
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="halite evaluate", description="Plots and numbers from `halite test` prediction files."
    )
    ap.add_argument("files", nargs="+", type=Path, help="prediction HDF5 file(s)")
    ap.add_argument("--tagger", required=True, help="model name of the outputs (<tagger>_pb, ...)")
    ap.add_argument("--ref", default=None, help="reference tagger in the same files, for ratios")
    ap.add_argument("--fc", type=float, default=0.2, help="c fraction in the b-tagging discriminant")
    ap.add_argument("--fb", type=float, default=0.2, help="b fraction in the c-tagging discriminant")
    ap.add_argument("--out", type=Path, default=None, help="report folder (default: <first file>_report/)")
    ap.add_argument(
        "--atlas-first-tag", default="Simulation Internal", help="text after 'ATLAS' on the plots"
    )
    ap.add_argument(
        "--sample", default=None, help="first line under it, naming the jets (default: '<test file> jets')"
    )
    ap.add_argument("--pdf", action="store_true", help="write every flavour-tagging plot as PDF too")
    return ap


def main(argv: list[str]) -> int:
    """Entry point of ``halite evaluate``; prints the b-tagging working points and the report path."""
    args = parser().parse_args(argv)
    from halite.evaluate.ftag_plots import PlotLabels
    from halite.evaluate.metrics import format_rejection_fields
    from halite.evaluate.report import evaluate

    out = args.out or args.files[0].with_name(args.files[0].stem + "_report")
    # `halite test` names its files <checkpoint>__test_<test file>: the test file names the jets
    stems = dict.fromkeys(f.stem.split("__test_")[-1] for f in args.files)
    sample = args.sample if args.sample is not None else f"{', '.join(stems)} jets"
    labels = PlotLabels(
        first_tag=args.atlas_first_tag,
        sample=sample,
        formats=("png", "pdf") if args.pdf else ("png",),
    )
    summary = evaluate(args.files, args.tagger, out, args.ref, args.fc, args.fb, labels)
    wp = (
        summary.get("flavour_tagging", {}).get(args.tagger, {}).get("b_tagging", {}).get("working_points", {})
    )
    for eff, v in wp.items():
        light, c = format_rejection_fields(v, "light", 1), format_rejection_fields(v, "c", 2)
        print(f"  b-eff {eff}%: light rejection {light}, c rejection {c}")
    print(f"Report written to {out / 'index.html'}")
    return 0
