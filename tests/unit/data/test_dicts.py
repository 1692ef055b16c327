"""Loading and checking norm and class dicts (salt / UPP formats), from files, URLs and dicts."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pytest
import yaml

from halite.data.dicts import RUN_DICTS, load_class_dict, load_norm_dict, run_copy
from halite.data.prep import compute_class_dict, compute_norm_dict
from halite.data.specs import GLOBAL
from halite.io import write_yaml

NORM = {"jets": {"pt": {"mean": 1.0, "std": 2.0}}, "tracks": {"d0": {"mean": 0.0, "std": 0.5}}}


def test_round_trip(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    norm = compute_norm_dict(tiny_data["train"], {"jets": ["pt_btagJes"], "tracks": ["d0"]})
    classes = compute_class_dict(tiny_data["train"], {"jets": ["flavour_label"]})
    write_yaml(tmp_path / "norm.yaml", norm)
    write_yaml(tmp_path / "class.yaml", classes)
    assert load_norm_dict(tmp_path / "norm.yaml") == norm
    assert load_class_dict(tmp_path / "class.yaml") == classes


def test_load_salt_style_dicts(tmp_path: Path) -> None:
    norm_text = "jets:\n  pt_btagJes:\n    mean: 1.0e5\n    std: 2\ntracks:\n  d0: {mean: 0, std: 0.5}\n"
    (tmp_path / "norm.yaml").write_text(norm_text)
    norm = load_norm_dict(tmp_path / "norm.yaml")
    assert norm["tracks"]["d0"] == {"mean": 0, "std": 0.5}
    assert norm["jets"]["pt_btagJes"] == {"mean": 1.0e5, "std": 2}  # PyYAML reads 1.0e5 as a string
    (tmp_path / "class.yaml").write_text("jets:\n  flavour_label: [1.0, 2.5, 1]\n")
    assert load_class_dict(tmp_path / "class.yaml") == {"jets": {"flavour_label": [1.0, 2.5, 1]}}
    (tmp_path / "class2.yaml").write_text("jets:\n  flavour_label: [1.0e5, 1]\n")
    assert load_class_dict(tmp_path / "class2.yaml") == {"jets": {"flavour_label": [1.0e5, 1]}}


def test_load_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad_norm.yaml"
    bad.write_text(yaml.safe_dump({"tracks": {"d0": {"mean": 0.0}}}))
    with pytest.raises(ValueError, match=r"bad_norm\.yaml.*'d0'.*'tracks'"):
        load_norm_dict(bad)
    bad_class = tmp_path / "bad_class.yaml"
    bad_class.write_text(yaml.safe_dump({"jets": {"flavour_label": "heavy"}}))
    with pytest.raises(ValueError, match=r"bad_class\.yaml.*'flavour_label'.*'jets'"):
        load_class_dict(bad_class)
    with pytest.raises(FileNotFoundError, match=r"nope\.yaml"):
        load_norm_dict(tmp_path / "nope.yaml")
    with pytest.raises(ValueError, match=r"Class dict <dict> must be a non-empty mapping"):
        load_class_dict({})
    with pytest.raises(ValueError, match=r"Norm dict <dict>: stream 'jets' must map variables"):
        load_norm_dict({"jets": [1, 2]})


def test_whole_dict_check_does_not_change_the_given_dict() -> None:
    given = {"jets": {"pt": {"mean": "1e5", "std": 2}}}
    assert load_norm_dict(given) == {"jets": {"pt": {"mean": 1.0e5, "std": 2}}}
    assert given == {"jets": {"pt": {"mean": "1e5", "std": 2}}}


def test_variables_are_checked_and_named(tmp_path: Path) -> None:
    path = tmp_path / "norm.yaml"
    write_yaml(path, NORM)
    assert load_norm_dict(path, {"jets": ["pt"]}) == NORM
    assert load_norm_dict(NORM, {"tracks": ["d0"]}) == NORM
    with pytest.raises(
        ValueError, match=r"norm\.yaml has no entry for stream 'muons' \(has \['jets', 'tracks'\]\)"
    ):
        load_norm_dict(path, {"muons": ["pt"]})
    with pytest.raises(ValueError, match=r"norm\.yaml has no mean/std for variable 'eta' of stream 'jets'"):
        load_norm_dict(path, {"jets": ["pt", "eta"]})
    zero = {"jets": {"pt": {"mean": 1.0, "std": 0.0}}}
    with pytest.raises(ValueError, match=r"Norm dict <dict>: variable 'pt' of stream 'jets' has std=0.0"):
        load_norm_dict(zero, {"jets": ["pt"]})
    with pytest.raises(ValueError, match=r"Norm dict <dict> must map stream -> variable .* holds a list"):
        load_norm_dict([1], {"jets": ["pt"]})  # type: ignore[arg-type]
    # only the requested entries are looked at
    assert load_norm_dict({**NORM, "junk": {"x": "y"}}, {"jets": ["pt"]})["junk"] == {"x": "y"}


def test_global_reads_the_global_object() -> None:
    norm = load_norm_dict(NORM, {"jets": ["pt"], GLOBAL: ["pt"]}, global_object="jets")
    assert norm[GLOBAL] == NORM["jets"] and GLOBAL not in NORM
    explicit = {**NORM, GLOBAL: {"pt": {"mean": 5.0, "std": 1.0}}}
    assert load_norm_dict(explicit, {GLOBAL: ["pt"]}, global_object="jets")[GLOBAL]["pt"]["mean"] == 5.0
    with pytest.raises(ValueError, match=r"no entry for stream 'GLOBAL'"):
        load_norm_dict(NORM, {GLOBAL: ["pt"]})  # without the global object's name


def test_remote_dicts() -> None:
    with fsspec.open("memory://dicts/norm.yaml", "w") as f:
        f.write(yaml.safe_dump(NORM))
    with fsspec.open("memory://dicts/class.yaml", "w") as f:
        f.write("jets:\n  flavour_label: [1, 2]\n")
    assert load_norm_dict("memory://dicts/norm.yaml", {"jets": ["pt"]}) == NORM
    assert load_class_dict("memory://dicts/class.yaml") == {"jets": {"flavour_label": [1, 2]}}
    with pytest.raises(FileNotFoundError, match=r"memory://dicts/nope.yaml"):
        load_norm_dict("memory://dicts/nope.yaml")


def test_run_copies() -> None:
    assert RUN_DICTS == ("norm_dict", "class_dict")
    assert run_copy(Path("/runs/a"), "norm_dict") == Path("/runs/a/norm_dict.yaml")
    assert run_copy("s3://bucket/runs/a/", "class_dict") == "s3://bucket/runs/a/class_dict.yaml"
    with pytest.raises(
        ValueError, match=r"'weights' is not a dict .* valid keys are \['norm_dict', 'class_dict'\]"
    ):
        run_copy("/runs/a", "weights")
