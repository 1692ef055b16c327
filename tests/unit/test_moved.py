"""Modules that moved keep importing under their old paths, with a warning naming the new one."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

from halite.moved import MOVED, MovedPathWarning


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_module_path_imports_the_new_module(old: str) -> None:
    parent = old.rpartition(".")[0]
    if parent in MOVED:  # imported first by Python, with its own warning: whichever test runs first in
        with warnings.catch_warnings():  # this process (pytest-xdist splits the cases), not this one's
            warnings.simplefilter("ignore", MovedPathWarning)
            importlib.import_module(parent)
    sys.modules.pop(old, None)
    with pytest.warns(MovedPathWarning, match=f"'{old}' moved to '{MOVED[old]}'"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(MOVED[old])


def test_unknown_module_still_fails() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("halite.nn.no_such_module")
