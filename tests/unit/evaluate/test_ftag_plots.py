"""puma figures of the flavour-tagging report on synthetic, seeded scores."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from ftag.utils import calculate_rejection

from halite.evaluate import ftag_plots
from halite.evaluate.ftag_plots import PlotLabels

PNG = b"\x89PNG\r\n\x1a\n"


def scores(seed: int, shift: float, n: int = 600) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"b": rng.normal(shift, 1, n), "c": rng.normal(0.5, 1, n), "light": rng.normal(0, 1, n)}


def test_rejection_plot_draws_ftag_rejections_with_bands_and_ratios(tmp_path: Path) -> None:
    discs = {"new": scores(0, 2.5), "old": scores(1, 1.5)}
    effs = np.linspace(0.6, 0.9, 7)
    labels = PlotLabels(sample="ttbar", cuts="20 < $p_T$ < 250 GeV")
    plot = ftag_plots.rejection_plot(discs, "b", ("c", "light"), labels, ref="old", effs=effs)
    for tagger in discs:
        for b in ("c", "light"):
            roc = plot.rocs[f"{tagger}_{b}"]
            expected = calculate_rejection(discs[tagger]["b"], discs[tagger][b], effs)
            np.testing.assert_allclose(roc.bkg_rej, expected)
            assert roc.n_test == len(discs[tagger][b])  # the binomial band's statistics
    assert plot.n_ratio_panels == 2
    assert plot.reference_roc == {"cjets": {"cjets": "old_c"}, "ujets": {"ujets": "old_light"}}
    # the better tagger is drawn above 1 in the light-jet ratio panel
    _, ratio, _ = plot.roc_ratios["new_light"]
    assert np.all(ratio > 1)
    assert plot.atlas_second_tag == "ttbar\n20 < $p_T$ < 250 GeV"
    path = ftag_plots.write_figure(plot, tmp_path / "rejection_b.png", ("png", "pdf"))
    assert path.read_bytes()[:8] == PNG
    assert (tmp_path / "rejection_b.pdf").read_bytes()[:4] == b"%PDF"


def test_rejection_plot_without_reference_has_no_ratio_panel() -> None:
    plot = ftag_plots.rejection_plot({"m": scores(2, 2.0)}, "c", ("b", "light"), PlotLabels())
    assert plot.n_ratio_panels == 0
    assert set(plot.rocs) == {"m_b", "m_light"}


def test_discriminant_plot_per_flavour_with_working_point_lines(tmp_path: Path) -> None:
    discs = scores(3, 2.0)
    cuts = {0.7: float(np.quantile(discs["b"], 0.3)), 0.85: float(np.quantile(discs["b"], 0.15))}
    plot = ftag_plots.discriminant_plot(discs, "b", "m", PlotLabels(), cuts, "$f_c$ = 0.2")
    hists = list(plot.plot_objects.values())
    assert [h.flavour.name for h in hists] == ["bjets", "cjets", "ujets"]
    assert sum(h.hist.sum() for h in hists) > 0
    lines = {
        round(line.get_xdata()[0], 6) for line in plot.axis_top.get_lines() if len(line.get_xdata()) == 2
    }
    assert {round(c, 6) for c in cuts.values()} <= lines
    assert "85%" in [t.get_text() for t in plot.axis_top.texts]
    assert ftag_plots.write_figure(plot, tmp_path / "d.png").read_bytes()[:8] == PNG


def test_efficiency_vs_pt_is_the_inclusive_cut_per_bin(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    discs = {"m": scores(4, 2.0, n=2000)}
    pt = {"m": {f: rng.uniform(20, 200, 2000) for f in ("b", "c", "light")}}
    bins = np.array([20.0, 60.0, 120.0, 200.0])
    plot = ftag_plots.vs_pt_plot(pt, discs, "b", None, 0.7, PlotLabels(), bins)
    (curve,) = plot.plot_objects.values()
    cut = np.quantile(discs["m"]["b"], 0.3)
    idx = np.digitize(pt["m"]["b"], bins) - 1
    expected = [np.mean(discs["m"]["b"][idx == i] > cut) for i in range(3)]
    np.testing.assert_allclose(curve.y_var_mean, expected, atol=2e-3)
    assert plot.atlas_second_tag.endswith("70% $b$-jet efficiency")
    rej = ftag_plots.vs_pt_plot(pt, discs, "b", "light", 0.7, PlotLabels(), bins)
    (rcurve,) = rej.plot_objects.values()
    light_idx = np.digitize(pt["m"]["light"], bins) - 1
    expected_rej = [1 / np.mean(discs["m"]["light"][light_idx == i] > cut) for i in range(3)]
    np.testing.assert_allclose(rcurve.y_var_mean, expected_rej, rtol=0.05)
    assert ftag_plots.write_figure(rej, tmp_path / "r.png").read_bytes()[:8] == PNG


def test_jet_kinematics_cuts_text_and_pt_bins() -> None:
    jets = np.zeros(3, dtype=[("pt_btagJes", "f4"), ("eta_btagJes", "f4"), ("pt", "f4")])
    jets["pt_btagJes"] = [20.5e3, 80e3, 249.2e3]
    jets["eta_btagJes"] = [-2.43, 0.1, 1.0]
    jets["pt"] = 1.0  # pt_btagJes is preferred
    pt, eta = ftag_plots.jet_kinematics(jets)
    assert pt is not None and eta is not None
    np.testing.assert_allclose(pt, [20.5, 80, 249.2], rtol=1e-6)
    assert ftag_plots.cuts_text(pt, eta) == "20 < $p_T$ < 250 GeV, $|\\eta| < 2.5$"
    assert ftag_plots.cuts_text(None, None) == ""
    assert ftag_plots.jet_kinematics(np.zeros(2, dtype=[("x", "f4")])) == (None, None)
    edges = ftag_plots.pt_bins(np.random.default_rng(5).uniform(20, 250, 1000), n=4)
    pts = np.random.default_rng(5).uniform(20, 250, 1000)
    assert edges[0] <= pts.min() and edges[-1] == pytest.approx(np.quantile(pts, 0.99), abs=2.5)
    assert np.all(np.diff(edges) > 0) and len(edges) == 5
    assert ftag_plots.pt_bins(np.array([np.nan])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("extra", ["", "$f_c$ = 0.2"])
def test_second_tag_drops_empty_lines(extra: str) -> None:
    tag = PlotLabels(sample="", cuts="|eta| < 2.5").second_tag(extra)
    assert tag == "\n".join(x for x in ("|eta| < 2.5", extra) if x)


def test_missing_puma_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "puma", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install --no-deps puma-hep==0\.5\.6"):
        ftag_plots.rejection_plot({"m": scores(6, 2.0)}, "b", ("c",), PlotLabels())


def test_rejection_plot_refuses_a_flavour_without_jets() -> None:
    discs = {"m": {**scores(7, 2.0), "c": np.zeros(0)}}
    with pytest.raises(ValueError, match=r"No jets of flavour\(s\) \['m: c'\]"):
        ftag_plots.rejection_plot(discs, "b", ("c", "light"), PlotLabels())
