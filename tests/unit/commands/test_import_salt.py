"""``halite import-salt`` and the salt-config detection of the Lightning tools (``_lightning``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from halite.commands import main
from halite.commands._lightning import translate_salt_args
from halite.io import read_yaml

GN2 = Path(__file__).resolve().parents[2] / "compat" / "configs" / "GN2.yaml"


def test_import_salt_writes_halites_schema_and_prints_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "halite.yaml"
    assert main(["import-salt", str(GN2), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "reduction 'mean' -> 'none'" in printed
    config = read_yaml(out)
    assert config["model"]["model"]["class_path"] == "halite.models.Model"
    assert "salt." not in out.read_text()


def test_import_salt_refuses_a_key_it_cannot_honour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = yaml.safe_load(GN2.read_text())
    bad["model"]["model"]["init_args"]["encoder"]["init_args"]["num_registers"] = 0
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(SystemExit) as exc:
        main(["import-salt", str(path), "-o", str(tmp_path / "out.yaml")])
    assert exc.value.code == 2
    assert "num_registers" in capsys.readouterr().err
    assert not (tmp_path / "out.yaml").exists()


def test_lightning_tools_translate_salt_configs_with_overrides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [f"--config={GN2}", "--data.batch_size=20", "--trainer.logger.init_args.online=False",
            "--trainer.max_epochs", "1", "--ckpt_path", "last"]  # fmt: skip
    args = translate_salt_args("fit", argv, out_dir=str(tmp_path))
    assert args is not None
    assert args[0] == f"--config={tmp_path / 'GN2.halite.yaml'}" and args[1:] == ["--ckpt_path", "last"]
    config = read_yaml(tmp_path / "GN2.halite.yaml")
    assert config["data"]["batch_size"] == 20 and config["trainer"]["max_epochs"] == 1
    assert "logger" not in config["trainer"]
    printed = capsys.readouterr().out
    assert "translated to halite's schema" in printed and "CometLogger" in printed


def test_halite_configs_run_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "h.yaml"
    path.write_text("model:\n  model:\n    class_path: halite.models.Model\n")
    assert translate_salt_args("fit", [f"--config={path}", "--data.batch_size=2"]) is None
