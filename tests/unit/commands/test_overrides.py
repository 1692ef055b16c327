"""``halite <tool> [options] -- [overrides]``."""

from __future__ import annotations

from halite.commands._overrides import split_overrides


def test_split_at_the_first_double_dash() -> None:
    assert split_overrides(["--config", "a.yaml"]) == (["--config", "a.yaml"], [])
    assert split_overrides(["--trials", "3", "--", "--data.batch_size=10", "--", "x"]) == (
        ["--trials", "3"],
        ["--data.batch_size=10", "--", "x"],
    )
    assert split_overrides(["--"]) == ([], [])
