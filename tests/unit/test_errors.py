"""halite.errors: each kind is a HaliteError and the builtin error it replaced; did-you-mean hints."""

from __future__ import annotations

import pytest

from halite.errors import (
    CheckpointError,
    CheckpointNotFound,
    ConfigError,
    ConfigFileNotFound,
    DataError,
    DataFileError,
    DataFileNotFound,
    DataKeyError,
    DataTypeError,
    HaliteError,
    did_you_mean,
)


@pytest.mark.parametrize(
    ("kind", "builtin"),
    [
        (ConfigError, ValueError),
        (ConfigFileNotFound, FileNotFoundError),
        (DataError, ValueError),
        (DataKeyError, KeyError),
        (DataTypeError, TypeError),
        (DataFileError, OSError),
        (DataFileNotFound, FileNotFoundError),
        (CheckpointError, ValueError),
        (CheckpointNotFound, FileNotFoundError),
    ],
)
def test_kinds_are_halite_errors_and_their_builtin(kind: type[Exception], builtin: type[Exception]) -> None:
    with pytest.raises(builtin, match=r"^f\.h5: bad$"):
        raise kind("f.h5: bad")
    assert issubclass(kind, HaliteError)


def test_key_error_message_is_not_quoted() -> None:
    assert str(DataKeyError("variable 'd0' not found")) == "variable 'd0' not found"
    assert str(KeyError("variable 'd0' not found")) == "\"variable 'd0' not found\""


def test_did_you_mean() -> None:
    assert did_you_mean("trakcs", ["jets", "tracks"]) == " Did you mean 'tracks'?"
    assert did_you_mean("muons", ["jets", "tracks"]) == ""
