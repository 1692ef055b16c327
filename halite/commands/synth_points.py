"""``halite synth-points``: write synthetic point-cloud samples (detector events, top/QCD jets)."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.data.synthetic_points import main as run

    return int(run(argv) or 0)
