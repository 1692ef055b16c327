"""The one-event-per-entry (NanoAOD / PFNano) layout: jets regrouped with their linked constituents."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from halite.data.columnar.config import columnar_config
from halite.data.columnar.reader import ColumnarReader

CONFIG = {
    "layout": "event",
    "tree": "Events",
    "jet_collection": "Jet",
    "selection": "(Jet_pt > 25) & (rho < 0.8)",
    "new_variables": {"rel_pt": "PFCands_pt / Jet_pt", "rho_jet": "rho * Jet_pt"},
    "streams": {
        "jets": {"branches": ["Jet_pt", "rho_jet", "rho"]},
        "cands": {
            "branches": ["rel_pt", "PFCands_eta", "JetPFCands_w", "Jet_pt"],
            "max_length": 5,
            "sort_by": "PFCands_pt",
            "collection": "PFCands",
            "jet_index": "JetPFCands_jetIdx",
            "constituent_index": "JetPFCands_pFCandsIdx",
        },
    },
    "step_size": 7,
}


def make_events(num: int = 30, seed: int = 2) -> dict[str, list]:
    """Events as Python lists: jets, candidates, and links in shuffled order (some unlinked)."""
    rng = np.random.default_rng(seed)
    ev: dict[str, list] = {k: [] for k in ("Jet_pt", "PFCands_pt", "PFCands_eta", "jidx", "cidx", "w", "rho")}
    for _ in range(num):
        nj, nc = int(rng.integers(0, 5)), int(rng.integers(0, 25))
        ev["Jet_pt"].append(rng.uniform(10, 100, nj).tolist())
        ev["PFCands_pt"].append(rng.exponential(5, nc).tolist())
        ev["PFCands_eta"].append(rng.normal(0, 1, nc).tolist())
        owner = rng.integers(-1, nj, nc) if nj else np.full(nc, -1)  # -1: candidate in no jet
        links = rng.permutation(nc)
        ev["jidx"].append([int(owner[c]) for c in links])
        ev["cidx"].append([int(c) for c in links])
        ev["w"].append(rng.uniform(0, 1, nc).tolist())
        ev["rho"].append(float(rng.uniform(0, 1)))
    return ev


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list]]:
    ev = make_events()
    path = tmp_path_factory.mktemp("events") / "nano.root"
    arrays = {
        "Jet_pt": ak.Array(ev["Jet_pt"]),
        "PFCands_pt": ak.Array(ev["PFCands_pt"]),
        "PFCands_eta": ak.Array(ev["PFCands_eta"]),
        "JetPFCands_jetIdx": ak.values_astype(ak.Array(ev["jidx"]), np.int32),
        "JetPFCands_pFCandsIdx": ak.values_astype(ak.Array(ev["cidx"]), np.int32),
        "JetPFCands_w": ak.Array(ev["w"]),
        "rho": np.array(ev["rho"]),
    }
    with uproot.recreate(path) as f:
        f.mktree("Events", {k: v.type if isinstance(v, ak.Array) else v.dtype for k, v in arrays.items()})
        f["Events"].extend(arrays)
    ak.to_parquet(ak.zip(arrays, depth_limit=1), path.with_suffix(".parquet"), row_group_size=8)
    return path, ev


@pytest.mark.parametrize("suffix", [".root", ".parquet"])
def test_jets_with_linked_constituents_match_loop(events: tuple[Path, dict[str, list]], suffix: str) -> None:
    path, ev = events
    path = path.with_suffix(suffix)
    reader = ColumnarReader(path, columnar_config(CONFIG), global_object="jets")
    jets, _ = reader.read_entries(0, reader.source.num_entries)["jets"]
    cands, valid = reader.read_entries(0, reader.source.num_entries)["cands"]
    row = 0
    for e, jet_pts in enumerate(ev["Jet_pt"]):
        for j, jpt in enumerate(jet_pts):
            if not (jpt > 25 and ev["rho"][e] < 0.8):
                continue
            links = [k for k, jj in enumerate(ev["jidx"][e]) if jj == j]
            cpt = np.array([ev["PFCands_pt"][e][ev["cidx"][e][k]] for k in links])
            order = np.argsort(-cpt, kind="stable")[:5]
            n = len(order)
            assert jets["Jet_pt"][row] == pytest.approx(jpt)
            assert jets["rho"][row] == pytest.approx(ev["rho"][e])
            assert jets["rho_jet"][row] == pytest.approx(ev["rho"][e] * jpt)
            assert valid[row].sum() == n and valid[row, :n].all()
            np.testing.assert_allclose(cands["rel_pt"][row, :n], cpt[order] / jpt)
            eta = np.array([ev["PFCands_eta"][e][ev["cidx"][e][k]] for k in links])
            np.testing.assert_allclose(cands["PFCands_eta"][row, :n], eta[order])
            np.testing.assert_allclose(cands["JetPFCands_w"][row, :n], np.array(ev["w"][e])[links][order])
            np.testing.assert_allclose(cands["Jet_pt"][row, :n], jpt)  # jet value broadcast per constituent
            assert not cands["rel_pt"][row, n:].any()
            row += 1
    assert row == reader.num_jets == len(jets["Jet_pt"]) > 10
    # jet-space reads across entry boundaries agree with the full read
    part, _ = reader.read_jets(3, 11)["jets"]
    np.testing.assert_array_equal(part["Jet_pt"], jets["Jet_pt"][3:11])
    reader.close()


def test_link_index_out_of_range(tmp_path: Path) -> None:
    path = tmp_path / "bad.root"
    arrays = {
        "Jet_pt": ak.Array([[30.0], [40.0, 50.0]]),
        "PFCands_pt": ak.Array([[1.0, 2.0], [3.0]]),
        "JetPFCands_jetIdx": ak.Array([[0, 0], [2]]),
        "JetPFCands_pFCandsIdx": ak.Array([[0, 1], [0]]),
    }
    with uproot.recreate(path) as f:
        f.mktree("Events", {k: v.type for k, v in arrays.items()})
        f["Events"].extend(arrays)
    cfg = {**CONFIG, "selection": None, "new_variables": {}}
    cfg["streams"] = {
        "jets": {"branches": ["Jet_pt"]},
        "cands": {**CONFIG["streams"]["cands"], "branches": ["PFCands_pt"]},
    }
    reader = ColumnarReader(path, columnar_config(cfg), global_object="jets")
    with pytest.raises(ValueError, match="'JetPFCands_jetIdx' has 1 indices beyond the number of 'Jet' jets"):
        reader.read_entries(0, 2)
    reader.close()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"selection": "PFCands_pt > 1"}, "gives a value per constituent, not per jet"),
        ({"selection": "Jet_pt + 1"}, "is not boolean"),
        ({"new_variables": {"a": "b + 1", "b": "a * 2"}}, "circular definition a -> b -> a"),
        ({"selection": "Jet_ptt > 1"}, r"\['Jet_ptt'\] not found \(closest names: \{'Jet_ptt': \['Jet_pt'"),
    ],
)
def test_bad_selection(events: tuple[Path, dict[str, list]], change: dict, match: str) -> None:
    path, _ = events
    with pytest.raises((ValueError, KeyError), match=match):
        ColumnarReader(path, columnar_config({**CONFIG, **change}), global_object="jets")
