"""``halite synth-pythia``: tiny Pythia samples of each process, checked for layout, labels and physics.

Each process is generated once per module (a few dozen jets, about a second each) by a ``halite``
subprocess; the checks read the files back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]

#: process -> (jets, pt window, |eta| cut, slots) of the generated sample
SAMPLES = {
    "top_qcd": (40, (500.0, 700.0), 2.0, 128),
    "quark_gluon": (30, (100.0, 200.0), 2.0, 64),
    "flavour": (30, (30.0, 120.0), 2.5, 32),
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "halite", "synth-pythia", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for process, (num, (lo, hi), _, slots) in SAMPLES.items():
        folder = tmp_path_factory.mktemp(process)
        extra = ["--pt-min", str(lo), "--pt-max", str(hi), "--num-constituents", str(slots)]
        if process == "flavour":
            extra += ["--split", "0.8,0.1,0.1"]
        proc = _run(
            "--process", process, "--num-jets", str(num), "--out-dir", str(folder), "--seed", "3", *extra
        )
        assert proc.returncode == 0, proc.stderr
        assert "jets/s" in proc.stdout and "FastJet" not in proc.stdout  # the banner goes to stderr
        out[process] = folder
    return out


def _read(path: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    with h5py.File(path) as f:
        return f["jets"][:], f["particles"][:], dict(f["jets"].attrs)


@pytest.mark.parametrize("process", list(SAMPLES))
def test_layout_and_physics(samples: dict[str, Path], process: str) -> None:
    num, (lo, hi), eta_max, slots = SAMPLES[process]
    sizes = {}
    for split in ("train", "val", "test"):
        jets, parts, _ = _read(samples[process] / f"{split}.h5")
        sizes[split] = len(jets)
        assert parts.shape == (len(jets), slots)
        for name in ("pt", "eta", "mass", "label", "HadronConeExclTruthLabelID", "flavour_label"):
            assert name in jets.dtype.names
        for name in ("valid", "px", "py", "pz", "energy", "charge", "pid", "d0", "z0", "d0_significance"):
            assert name in parts.dtype.names
        valid = parts["valid"]
        # valid slots first, padding all zero
        assert not (np.diff(valid.astype(int), axis=1) > 0).any()
        assert (parts["energy"][~valid] == 0).all() and (parts["pid"][~valid] == 0).all()
        assert ((jets["pt"] >= lo) & (jets["pt"] <= hi)).all()
        assert (np.abs(jets["eta"]) <= eta_max).all()
        # the constituents sum to the jet (E scheme) when none was truncated
        whole = jets["n_constituents"] == valid.sum(1)
        assert whole.any()
        sums = np.stack([(parts[k] * valid).sum(1) for k in ("px", "py", "pz", "energy")], 1)
        assert np.allclose(np.hypot(sums[whole, 0], sums[whole, 1]), jets["pt"][whole], rtol=1e-4)
        assert np.allclose(sums[whole, 3], jets["energy"][whole], rtol=1e-4)
        assert set(np.unique(parts["charge"][valid])) <= {-1.0, 0.0, 1.0}
        neutral = valid & (parts["charge"] == 0)
        assert (parts["d0"][neutral] == 0).all() and (parts["z0_significance"][neutral] == 0).all()
        pt = np.hypot(parts["px"], parts["py"])
        assert np.allclose(pt[valid], parts["pt"][valid], rtol=1e-5)
        assert (np.diff(np.where(valid, parts["pt"], 0), axis=1) <= 0).all()  # by decreasing pt
    assert sum(sizes.values()) == num and sizes["train"] == round(num * 0.8)


def test_labels(samples: dict[str, Path]) -> None:
    jets, parts, attrs = _read(samples["top_qcd"] / "train.h5")
    assert list(attrs["label"]) == ["QCD", "top"]
    assert np.bincount(jets["label"]).tolist() == [16, 16]
    assert (jets["is_top"] == jets["label"]).all() and (jets["is_quark"] == -1).all()
    # top jets are heavier than QCD jets
    assert np.median(jets["mass"][jets["is_top"] == 1]) > 140 > np.median(jets["mass"][jets["is_top"] == 0])

    jets, _, attrs = _read(samples["quark_gluon"] / "train.h5")
    assert list(attrs["label"]) == ["gluon", "quark"]
    assert np.bincount(jets["is_quark"]).tolist() == [12, 12]
    assert ((jets["parton_id"] == 21) == (jets["is_quark"] == 0)).all()

    jets, parts, attrs = _read(samples["flavour"] / "train.h5")
    assert list(attrs["flavour_label"]) == ["bjets", "cjets", "ujets"]
    assert sorted(np.unique(jets["HadronConeExclTruthLabelID"])) == [0, 4, 5]
    assert np.bincount(jets["flavour_label"]).tolist() == [8, 8, 8]
    expected = np.select(
        [jets["HadronConeExclTruthLabelID"] == 5, jets["HadronConeExclTruthLabelID"] == 4], [0, 1], 2
    )
    assert (jets["flavour_label"] == expected).all()
    # b-jets carry displaced tracks: their largest signed d0 significance beats the light jets'
    top_sig = np.where(parts["valid"], parts["d0_significance"], -np.inf).max(1)
    assert np.median(top_sig[jets["flavour_label"] == 0]) > 3 > np.median(top_sig[jets["flavour_label"] == 2])


def test_same_seed_same_files_with_any_workers(tmp_path: Path) -> None:
    num, (lo, hi), _, slots = SAMPLES["flavour"]
    args = [
        "--process",
        "flavour",
        "--num-jets",
        str(num),
        "--seed",
        "3",
        "--no-progress",
        "--chunk-size",
        "8",
    ]
    args += ["--pt-min", str(lo), "--pt-max", str(hi), "--num-constituents", str(slots)]
    assert _run(*args, "--out-dir", str(tmp_path / "one")).returncode == 0
    assert _run(*args, "--out-dir", str(tmp_path / "two"), "--workers", "2").returncode == 0
    for split in ("train", "val", "test"):
        a_jets, a_parts, _ = _read(tmp_path / "one" / f"{split}.h5")
        b_jets, b_parts, _ = _read(tmp_path / "two" / f"{split}.h5")
        assert a_jets.tobytes() == b_jets.tobytes() and a_parts.tobytes() == b_parts.tobytes()
    train, _, _ = _read(tmp_path / "two" / "train.h5")  # 24 jets: 3 chunks, each its own event numbers
    assert np.unique(train["eventNumber"] // 10**8).tolist() == [0, 1, 2]


def test_bad_options(tmp_path: Path) -> None:
    proc = _run("--pt-min", "300", "--pt-max", "200", "--out-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "pt window [300.0, 200.0]" in proc.stderr
    proc = _run("--split", "0.8,0.2", "--out-dir", str(tmp_path))
    assert proc.returncode == 2 and "--split '0.8,0.2'" in proc.stderr
    proc = _run("--workers", "0", "--out-dir", str(tmp_path))
    assert proc.returncode == 2 and "--workers must be >= 1" in proc.stderr
    assert not (tmp_path / "train.h5").exists()
