"""The real CMS PFNano file: convert, prep, and fit -> test straight from ROOT through the CLI."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import h5py
import numpy as np
import pytest
import uproot
import yaml

from halite.commands import main
from tests.conftest import CONFIGS, ROOT

CANDIDATES = [ROOT / ".." / "shared" / "data" / "pfnano.root", Path("/work/shared/data/pfnano.root")]
PFNANO = next((p.resolve() for p in CANDIDATES if p.is_file()), None)
pytestmark = pytest.mark.skipif(
    PFNANO is None, reason=f"real PFNano file not found at {[str(p) for p in CANDIDATES]}"
)


def pfnano_config(out: Path, **trainer: object) -> Path:
    cfg = yaml.safe_load((CONFIGS / "pfnano.yaml").read_text())
    for split in ("train", "val", "test"):
        cfg["data"][f"{split}_file"] = str(PFNANO)
    cfg["data"].update(
        {
            "norm_dict": str(out / "norm_dict.yaml"),
            "class_dict": str(out / "class_dict.yaml"),
            "num_workers": 0,
        }
    )
    cfg["trainer"].update(
        {"max_epochs": 1, "default_root_dir": str(out / "logs"), "enable_progress_bar": False}
    )
    cfg["trainer"].update(trainer)
    path = out / "pfnano.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def expected_jets() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Jet_nConstituents, linked candidates per jet, Jet_hadronFlavour) of the selected jets, via uproot."""
    t = uproot.open(PFNANO)["Events"]
    a = t.arrays(["Jet_pt", "Jet_eta", "Jet_nConstituents", "Jet_hadronFlavour", "JetPFCands_jetIdx"])
    keep = (a["Jet_pt"] > 15) & (abs(a["Jet_eta"]) < 2.5)
    linked = [
        np.bincount(np.asarray(j), minlength=len(n))
        for j, n in zip(a["JetPFCands_jetIdx"], a["Jet_pt"], strict=True)
    ]
    links = ak.Array(linked)[keep]
    return (
        ak.to_numpy(ak.flatten(a["Jet_nConstituents"][keep])),
        ak.to_numpy(ak.flatten(links)),
        ak.to_numpy(ak.flatten(a["Jet_hadronFlavour"][keep])),
    )


def test_convert_one_example_per_jet(tmp_path: Path) -> None:
    cfg = pfnano_config(tmp_path)
    out = tmp_path / "pfnano.h5"
    assert main(["convert", str(PFNANO), "--to", str(out), "--config", str(cfg), "--no-progress"]) == 0
    n_constituents, n_linked, flavour = expected_jets()
    with h5py.File(out) as f:
        jets, tracks = f["jets"][:], f["tracks"][:]
    assert len(jets) == len(n_constituents) > 40
    assert tracks.shape == (len(jets), 64)
    np.testing.assert_array_equal(tracks["valid"].sum(axis=1), np.minimum(n_constituents, 64))
    np.testing.assert_array_equal(n_linked, n_constituents)
    assert (n_constituents > 64).any()  # truncation is exercised
    np.testing.assert_array_equal(jets["flavour_label"], np.select([flavour == 5, flavour == 4], [0, 1], 2))
    assert (np.diff(np.where(tracks["valid"], tracks["log_pt"], -1e9), axis=1) <= 0).all()  # sorted by pt


def test_prep_fit_test_from_root(tmp_path: Path) -> None:
    cfg = pfnano_config(tmp_path)
    assert main(["prep", "--config", str(cfg)]) == 0
    norm = yaml.safe_load((tmp_path / "norm_dict.yaml").read_text())
    assert set(norm["tracks"]) == set(yaml.safe_load(cfg.read_text())["data"]["variables"]["tracks"])
    assert yaml.safe_load((tmp_path / "class_dict.yaml").read_text())["jets"]["flavour_label"]

    main(["fit", "--config", str(cfg)])
    (run,) = list((tmp_path / "logs").glob("pfnano_*"))
    assert sorted((run / "ckpts").glob("epoch=000-*.ckpt"))
    main(["test", "--config", str(run / "config.yaml")])
    (pred,) = list((run / "predictions").glob("*.h5"))
    n_constituents, _, flavour = expected_jets()
    with h5py.File(pred) as f:
        jets = f["jets"][:]
    assert len(jets) == len(n_constituents)
    np.testing.assert_array_equal(jets["Jet_nConstituents"], n_constituents)
    np.testing.assert_array_equal(jets["Jet_hadronFlavour"], flavour)
    probs = np.stack([jets[f"pfnano_p{c}"] for c in "bcu"], axis=1)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_convert_and_prep_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"data": {"variables": {"jets": []}}}))
    assert (
        main(["convert", str(PFNANO), "--to", str(tmp_path / "x.h5"), "--config", str(bad)], catch=True) == 2
    )
    assert "no data.columnar section" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()
    assert main(["prep", "--file", str(PFNANO), "--norm-dict", str(tmp_path / "n.yaml")], catch=True) == 2
    assert "pass --config with a data.columnar section" in capsys.readouterr().err
