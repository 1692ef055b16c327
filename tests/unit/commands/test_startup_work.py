"""What a Lightning tool does before its data loading starts: its own subcommand's parser, no config dump, one read.

``halite test`` (and ``fit`` / ``validate`` / ``predict``) runs one LightningCLI subcommand: building
the parsers of all four would repeat the Trainer / model / data schema four times, and the YAML dump
of the whole config that Lightning makes for ``save_hyperparameters`` would go unused (halite's
LightningModule and data module keep no hyper-parameters). The config-file checks and the salt
translation read each ``--config`` file once between them. ``bench/startup.py`` times the start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import halite.io
from halite.cli import HaliteArgumentParser, HaliteCLI, checks
from halite.commands import main
from tests.conftest import tiny_config


def test_halite_test_builds_one_subcommand_parser_and_dumps_no_config(
    tiny_data: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[HaliteCLI] = []
    dumps: list[Any] = []
    original_dump = HaliteArgumentParser.dump

    def stop_before_running(self: HaliteCLI, subcommand: str) -> None:
        built.append(self)

    def counted_dump(self: HaliteArgumentParser, *args: Any, **kwargs: Any) -> Any:
        dumps.append(args)
        return original_dump(self, *args, **kwargs)

    monkeypatch.setattr(HaliteCLI, "_run_subcommand", stop_before_running)
    monkeypatch.setattr(HaliteArgumentParser, "dump", counted_dump)
    reads: list[str] = []
    read_yaml = halite.io.read_yaml

    def counted_read(path: Any) -> Any:
        reads.append(str(path))
        return read_yaml(path)

    monkeypatch.setattr(halite.io, "read_yaml", counted_read)  # the salt translation's
    monkeypatch.setattr(checks, "read_yaml", counted_read)  # the config-file checks'
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    assert main(["test", "--config", str(cfg)]) == 0
    assert reads.count(str(cfg)) == 1  # checked and tested for salt class paths from one read
    (cli,) = built
    assert cli.subcommand == "test"
    assert set(cli._subcommand_parsers) == {"test"}  # not fit / validate / predict as well
    assert not dumps  # Lightning's dump of the config for save_hyperparameters was skipped
    # ... and nothing needed it: neither class keeps hyper-parameters (with them, the dump must come back)
    assert not cli.model.hparams and not cli.datamodule.hparams
    assert cli.model.model is not None and cli.datamodule.test_file == str(tiny_data["test"])


def test_the_class_keeps_every_subcommand() -> None:
    # LightningCLI's staticmethod: only an instance built with ``only_subcommand`` has fewer
    assert set(HaliteCLI.subcommands()) == {"fit", "validate", "test", "predict"}
