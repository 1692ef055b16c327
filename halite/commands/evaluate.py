"""``halite evaluate``: write a report (plots, index.html, summary.json) from predictions."""

from __future__ import annotations


def main(argv: list[str]) -> int:
    from halite.evaluate.report import main as run

    return int(run(argv) or 0)
