"""``halite prep`` (halite/commands/prep.py; test_prep.py is taken by tests/unit/data): norm and class dicts of a training file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from halite.commands import main
from halite.data.dicts import load_class_dict, load_norm_dict
from halite.data.prep import DEFAULT_VARIABLES, compute_norm_dict
from halite.data.synthetic import write_file


@pytest.fixture(scope="module")
def h5_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prep") / "train.h5"
    write_file(path, 2000, seed=11)
    return path


def test_prep_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["prep", "--help"])
    assert exc.value.code == 0
    assert "halite prep" in capsys.readouterr().out


def test_prep_end_to_end(h5_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    norm_path = tmp_path / "out" / "norm.yaml"
    class_path = tmp_path / "out" / "class.yaml"
    outputs = ["--norm-dict", str(norm_path), "--class-dict", str(class_path)]
    rc = main(["prep", "--file", str(h5_file), *outputs, "--num-jets", "1000", "--block-size", "256"])
    assert rc == 0
    norm = load_norm_dict(norm_path)
    assert {s: list(v) for s, v in norm.items()} == DEFAULT_VARIABLES
    assert norm == compute_norm_dict(h5_file, DEFAULT_VARIABLES, num_jets=1000, block_size=256)
    classes = load_class_dict(class_path)
    assert set(classes) == {"jets", "tracks"}
    assert len(classes["jets"]["flavour_label"]) == 3
    assert len(classes["tracks"]["ftagTruthOriginLabel"]) == 8
    out = capsys.readouterr().out
    assert str(norm_path) in out


def test_prep_defaults_next_to_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "train.h5"
    write_file(path, 200, seed=1, num_tracks=6)
    variables = tmp_path / "vars.yaml"
    variables.write_text(yaml.safe_dump({"jets": ["pt_btagJes"], "tracks": ["d0"]}))
    assert (
        main(["prep", "--file", str(path), "--variables", str(variables), "--labels", "jets:flavour_label"])
        == 0
    )
    assert set(load_norm_dict(path.parent / "norm_dict.yaml")["tracks"]) == {"d0"}
    assert set(load_class_dict(path.parent / "class_dict.yaml")) == {"jets"}


@pytest.mark.parametrize("nested", [False, True])
def test_prep_config(tmp_path: Path, nested: bool) -> None:
    path = tmp_path / "train.h5"
    write_file(path, 200, seed=2, num_tracks=6)
    data = {
        "train_file": str(path),
        "variables": {"jets": ["eta_btagJes"], "tracks": ["d0", "deta"]},
        "norm_dict": str(tmp_path / "cfg_norm.yaml"),
        "class_dict": str(tmp_path / "cfg_class.yaml"),
    }
    cfg = {"data": {"class_path": "halite.data.DataModule", "init_args": data} if nested else data}
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    assert main(["prep", "--config", str(cfg_path)]) == 0
    norm = load_norm_dict(tmp_path / "cfg_norm.yaml")
    assert {s: list(v) for s, v in norm.items()} == data["variables"]
    assert set(load_class_dict(tmp_path / "cfg_class.yaml")) == {"jets", "tracks"}
    # CLI flags override the config
    assert main(["prep", "--config", str(cfg_path), "--norm-dict", str(tmp_path / "cli_norm.yaml")]) == 0
    assert (tmp_path / "cli_norm.yaml").is_file()


def test_prep_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prep", "--file", str(tmp_path / "absent.h5")], catch=True) == 2
    assert "absent.h5" in capsys.readouterr().err
    assert main(["prep"], catch=True) == 2
    assert "--file" in capsys.readouterr().err
