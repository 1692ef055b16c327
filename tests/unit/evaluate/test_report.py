"""Evaluation report on a tiny hand-made predictions file; compare; metrics by hand."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from halite.commands import main
from halite.evaluate.compare import compare
from halite.evaluate.metrics import rejection_at, roc_auc
from halite.evaluate.report import evaluate, rejection_curve

ORIGINS = ["Pileup", "Fake", "Primary", "FromB", "FromBC", "FromC", "FromTau", "OtherSecondary"]


def write_predictions(path: Path, n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), y] += 2.0
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    pt_truth = rng.uniform(20e3, 200e3, n)
    jets = np.zeros(
        n,
        dtype=[("flavour_label", "i4"), ("pt", "f4"), ("pt_truth", "f4")]
        + [(f"m_p{c}", "f4") for c in "bcu"]
        + [(f"ref_p{c}", "f4") for c in "bcu"]
        + [
            ("jet_pt_pt_truth", "f4"),
            ("jet_pt_pt_truth_stddev", "f4"),
        ],  # Gaussian regression columns are <task>_<target> (salt)
    )
    jets["flavour_label"] = y
    jets["pt_truth"] = pt_truth
    jets["pt"] = pt_truth * rng.normal(1, 0.1, n)
    for i, c in enumerate("bcu"):
        jets[f"m_p{c}"] = p[:, i]
        jets[f"ref_p{c}"] = np.roll(p, 1, axis=1)[:, i]
    jets["jet_pt_pt_truth"] = pt_truth * (1 + rng.normal(0, 0.05, n))
    jets["jet_pt_pt_truth_stddev"] = 0.05 * pt_truth
    tracks = np.zeros(
        (n, 6),
        dtype=[
            ("mask", "?"),
            ("ftagTruthOriginLabel", "i4"),
            ("ftagTruthVertexIndex", "i4"),
            ("VertexIndex", "i8"),
        ]
        + [(f"m_p{o}", "f4") for o in ORIGINS],
    )
    tracks["mask"][:, 4:] = True  # salt's layout: mask is True for padding
    origin = rng.integers(0, 8, (n, 6))
    tracks["ftagTruthOriginLabel"] = origin
    onehot = np.eye(8)[origin] * 0.5 + 0.5 / 8
    for i, o in enumerate(ORIGINS):
        tracks[f"m_p{o}"] = onehot[..., i]
    tracks["ftagTruthVertexIndex"] = [0, 0, 1, 1, 2, 2]
    tracks["VertexIndex"] = [0, 0, 1, 2, 3, 3]
    tasks = [
        {
            "name": "jets_classification",
            "type": "ClassificationTask",
            "input_name": "jets",
            "label": "flavour_label",
            "class_names": ["bjets", "cjets", "ujets"],
        },
        {
            "name": "track_origin",
            "type": "ClassificationTask",
            "input_name": "tracks",
            "label": "ftagTruthOriginLabel",
            "class_names": ORIGINS,
        },
        {"name": "jet_pt", "type": "GaussianRegressionTask", "input_name": "jets", "targets": ["pt_truth"]},
    ]
    with h5py.File(path, "w") as f:
        f.create_dataset("jets", data=jets)
        f.create_dataset("tracks", data=tracks)
        f.attrs["tasks"] = json.dumps(tasks)
    return jets


def test_rejection_and_auc_by_hand() -> None:
    sig = np.array([0.9, 0.8, 0.7, 0.6, 0.1])
    bkg = np.array([0.85, 0.5, 0.4, 0.3, 0.2, 0.05, 0.01, 0.0])
    # 60% signal efficiency: cut at the 40% quantile of the signal = 0.6 -> 1 of 8 background passes (0.85)
    rej, err = rejection_at(sig, bkg, 0.6)
    assert rej == pytest.approx(8.0)
    assert err == pytest.approx(np.sqrt(1 / 8 * 7 / 8 / 8) * 64)
    assert rejection_curve(sig, bkg, np.array([0.6]))[0] == pytest.approx(8.0)
    # AUC: fraction of (sig, bkg) pairs ordered correctly
    pairs = (sig[:, None] > bkg[None, :]).mean()
    assert roc_auc(np.r_[sig, bkg], np.r_[np.ones(5, bool), np.zeros(8, bool)]) == pytest.approx(pairs)


PUMA_PLOTS = (
    "disc_b_m.png",
    "disc_c_m.png",
    "rejection_b.png",
    "rejection_c.png",
    "eff_vs_pt_b.png",
    "eff_vs_pt_c.png",
    "rej_vs_pt_b_c.png",
    "rej_vs_pt_b_light.png",
    "rej_vs_pt_c_b.png",
    "rej_vs_pt_c_light.png",
)


def test_report_writes_every_plot_and_summary(tmp_path: Path) -> None:
    """Through the command line, as a user runs it: puma plots, the report's table, the summary."""
    pred = tmp_path / "pred.h5"
    jets = write_predictions(pred)
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "halite", "evaluate", str(pred), "--tagger", "m", "--ref", "ref"]
    cmd += ["--out", str(out), "--sample", "tiny sample", "--pdf"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Report written" in done.stdout
    assert "Traceback" not in done.stderr and "WARNING:puma" not in done.stdout + done.stderr
    for name in PUMA_PLOTS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (out / name).with_suffix(".pdf").read_bytes()[:4] == b"%PDF", name
    page = (out / "index.html").read_text()
    for name in PUMA_PLOTS:
        assert f'src="{name}"' in page, name
    assert "<h2>Working points</h2>" in page
    assert page.count("-tagging working points</h3>") == 4  # taggers m and ref, b- and c-tagging
    for name in (
        "roc_jets_classification.png",
        "confusion_jets_classification.png",
        "roc_track_origin.png",
        "confusion_track_origin.png",
        "response_jet_pt_pt_truth_vs_pt_truth.png",
        "response_jet_pt_pt_truth_vs_pt.png",
        "pulls_jet_pt_pt_truth.png",
        "index.html",
    ):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 500
    summary = json.loads((out / "summary.json").read_text())
    wp = summary["flavour_tagging"]["m"]["b_tagging"]["working_points"]
    assert set(wp) == {"60", "70", "77", "85"}
    y = jets["flavour_label"]
    disc = np.log(jets["m_pb"] / (0.2 * jets["m_pc"] + 0.8 * jets["m_pu"]))
    cut = np.quantile(disc[y == 0], 0.3)
    assert wp["70"]["light_rejection"] == pytest.approx(1 / np.mean(disc[y == 2] > cut), rel=1e-3)
    table = page.split("<h3>m: b-tagging working points</h3>")[1].split("</table>")[0]
    assert table.count("<tr><td>") == 4  # one row per working point
    row = table.split("<tr><td>70%</td>")[1].split("</tr>")[0]
    assert f"{wp['70']['light_rejection']:.2f} ± {wp['70']['light_rejection_err']:.2f}" in row
    assert summary["flavour_tagging"]["ref"]["c_tagging"]["working_points"]["77"]["b_rejection"] > 0
    cls = summary["tasks"]["jets_classification"]
    assert cls["accuracy"] == pytest.approx(
        np.mean(np.stack([jets[f"m_p{c}"] for c in "bcu"], 1).argmax(1) == y)
    )
    assert set(cls["auc"]) == {"bjets", "cjets", "ujets"}
    assert summary["tasks"]["track_origin"]["accuracy"] == pytest.approx(1.0)
    reg = summary["tasks"]["jet_pt"]["pt_truth"]
    assert reg["median_response"] == pytest.approx(1.0, abs=0.02)
    assert reg["pull_width"] == pytest.approx(1.0, abs=0.15)
    # truth pairs (0,1),(2,3) in 4 valid tracks; predicted pairs (0,1) only -> eff 0.5, purity 1
    assert summary["vertexing"]["pair_efficiency"] == pytest.approx(0.5)
    assert summary["vertexing"]["pair_purity"] == pytest.approx(1.0)
    page = (out / "index.html").read_text()
    assert "m: b-tagging working points" in page and "ref: c-tagging working points" in page
    assert f"<td>{wp['70']['light_rejection']:.2f} ± " in page


def test_no_light_jet_passing_through_the_command_line(tmp_path: Path) -> None:
    """`halite evaluate` where no light jet passes: a lower limit in the output, the JSON and the page."""
    pred = tmp_path / "pred.h5"
    jets = write_predictions(pred)
    light = jets["flavour_label"] == 2
    with h5py.File(pred, "r+") as f:
        arr = f["jets"][:]
        arr["m_pb"][light], arr["m_pc"][light], arr["m_pu"][light] = 1e-6, 1e-6, 1.0
        f["jets"][...] = arr
    n = int(light.sum())
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "halite", "evaluate", str(pred), "--tagger", "m", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    limit = f"> {n} (0 of {n} pass)"
    assert f"b-eff 70%: light rejection {limit}, c rejection " in done.stdout
    assert "inf" not in done.stdout and "nan" not in done.stdout
    summary = json.loads((out / "summary.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    wp = summary["flavour_tagging"]["m"]["b_tagging"]["working_points"]["70"]
    assert wp["light_rejection"] == n and wp["light_rejection_err"] is None
    assert wp["light_rejection_is_lower_limit"] is True and wp["light_num_pass"] == 0
    assert wp["c_rejection_is_lower_limit"] is False
    assert f"<td>{html.escape(limit)}</td>" in (out / "index.html").read_text()


def test_report_without_c_jets_leaves_their_curves_out(tmp_path: Path) -> None:
    pred = tmp_path / "pred.h5"
    write_predictions(pred, n=300)
    with h5py.File(pred, "r+") as f:
        jets = f["jets"][:]
        jets["flavour_label"][jets["flavour_label"] == 1] = 2
        f["jets"][...] = jets
    evaluate([pred], "m", tmp_path / "r")
    written = {p.name for p in (tmp_path / "r").glob("*.png")}
    assert {"disc_b_m.png", "disc_c_m.png", "rejection_b.png"} <= written
    assert not written & {"rejection_c.png", "eff_vs_pt_b.png", "rej_vs_pt_b_c.png"}


def test_report_errors(tmp_path: Path) -> None:
    pred = tmp_path / "pred.h5"
    write_predictions(pred)
    with pytest.raises(ValueError, match="No outputs of tagger 'nope'"):
        evaluate([pred], "nope", tmp_path / "r")
    with pytest.raises(ValueError, match=r"Did you mean 'm'\?"):
        evaluate([pred], "mm", tmp_path / "r")
    with pytest.raises(FileNotFoundError, match="Prediction file not found"):
        evaluate([tmp_path / "missing.h5"], "m", tmp_path / "r")


def test_compare_identical_and_different(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    write_predictions(a)
    write_predictions(b)
    same = compare(a, b, "m", "m")
    assert all(v["max_abs_diff"] == 0 for v in same.values())
    assert {"pb", "pc", "pu"} <= set(same)
    cross = compare(a, b, "m", "ref")
    assert cross["pb"]["max_abs_diff"] > 0
    assert main(["compare", str(a), str(b), "--tagger-a", "m", "--tagger-b", "m"]) == 0
    assert "max |a-b|" in capsys.readouterr().out
    with pytest.raises(ValueError, match="No common outputs"):
        compare(a, b, "m", "zzz")
