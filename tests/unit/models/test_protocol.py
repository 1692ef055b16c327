"""HaliteModel: the three families satisfy it; anything else is refused with what it lacks."""

from __future__ import annotations

import pytest
from torch import nn

from halite.models.protocol import HaliteModel, check_model
from tests.unit.models.test_assembled import point_model
from tests.unit.models.test_model import TRACKS, model


def test_models_are_halite_models() -> None:
    for m in (model({"jets": ["a", "b"], "tracks": TRACKS}), point_model()):
        assert isinstance(check_model(m), HaliteModel)
    assert model({"jets": ["a", "b"], "tracks": TRACKS}).input_streams == ["jets", "tracks"]
    assert point_model().input_streams == ["jets"]  # CondOnlyMLP reads the global object only


def test_other_modules_are_refused() -> None:
    with pytest.raises(TypeError, match=r"Linear is not a halite model: it lacks \['variables'"):
        check_model(nn.Linear(2, 2))
