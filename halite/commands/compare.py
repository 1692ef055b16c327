"""``halite compare``: per-jet agreement of two prediction files."""

from __future__ import annotations

import argparse
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="halite compare", description="Per-jet agreement of two prediction files."
    )
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--tagger-a", required=True)
    ap.add_argument("--tagger-b", required=True)
    return ap


def main(argv: list[str]) -> int:
    """Entry point of ``halite compare``; prints the max and mean absolute difference per output."""
    args = parser().parse_args(argv)
    from halite.evaluate.compare import compare

    result = compare(args.a, args.b, args.tagger_a, args.tagger_b)
    print(f"{'output':<24} {'max |a-b|':>12} {'mean |a-b|':>12}")
    for name, r in result.items():
        print(f"{name:<24} {r['max_abs_diff']:>12.3e} {r['mean_abs_diff']:>12.3e}")
    return 0
