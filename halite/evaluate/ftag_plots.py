"""Flavour-tagging figures drawn with puma-hep: rejection curves, discriminants, efficiency vs pt.

puma (``puma-hep``, the ATLAS flavour-tagging plotting library) and ``ftag`` are imported inside
the functions: importing them costs seconds, and the CLI imports this package at parse time.
Every figure is written as PNG (and PDF on request) through :func:`halite.io.atomic_path`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from halite.io import atomic_path

if TYPE_CHECKING:
    from puma.plot_base import PlotBase
    from puma.roc import RocPlot

#: halite's flavour names -> ftag's label names (``ftag.Flavours[...]``)
FTAG_LABELS = {"b": "bjets", "c": "cjets", "light": "ujets"}
DPI = 150


@dataclass(frozen=True)
class PlotLabels:
    """The text of the ATLAS-style tag above every flavour-tagging figure.

    Attributes
    ----------
    first_tag
        Text after the ATLAS brand (``atlas_first_tag``), e.g. ``"Simulation Internal"``.
    sample
        First line of the second tag: which jets these are.
    cuts
        Second line: the jets' pt / eta cuts, e.g. ``"20 < $p_T$ < 250 GeV, $|\\eta| < 2.5$"``;
        ``None``: the range the jets cover (:func:`cuts_text`).
    formats
        File formats to write (``"png"``, ``"pdf"``).
    """

    first_tag: str = "Simulation Internal"
    sample: str = ""
    cuts: str | None = None
    formats: tuple[str, ...] = ("png",)

    def second_tag(self, *extra: str) -> str:
        """``atlas_second_tag``: sample, cuts and ``extra`` lines (empty ones dropped)."""
        return "\n".join(line for line in (self.sample, self.cuts, *extra) if line)


def _style(labels: PlotLabels, extra_tag: str) -> dict[str, Any]:
    """The puma plot arguments every curve plot shares: ATLAS labels, headroom, legend, resolution."""
    return {
        "atlas_first_tag": labels.first_tag,
        "atlas_second_tag": labels.second_tag(extra_tag),
        "y_scale": 1.5,
        "leg_fontsize": 9,
        "dpi": DPI,
    }


def _reference_first(discs: Mapping[str, Any], ref: str | None) -> list[str]:
    """The taggers in plotting order: the reference first (the ratio panels divide by it)."""
    return [ref, *(t for t in discs if t != ref)] if ref is not None else list(discs)


def jet_kinematics(jets: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The jets' pt in GeV and eta, from ``pt_btagJes`` / ``pt`` and ``eta_btagJes`` / ``eta``.

    Parameters
    ----------
    jets
        ``(jets,)`` structured array of a prediction file.

    Returns
    -------
    ``(jets,)`` pt in GeV (MeV input, median above 1000, is divided by 1000) and ``(jets,)`` eta;
    ``None`` for a quantity the file does not hold.
    """
    names = jets.dtype.names or ()
    pt_name = next((n for n in ("pt_btagJes", "pt") if n in names), None)
    eta_name = next((n for n in ("eta_btagJes", "eta") if n in names), None)
    pt = None if pt_name is None else jets[pt_name].astype(np.float64)
    if pt is not None and len(pt) and np.nanmedian(pt) > 1000:
        pt = pt / 1000.0
    eta = None if eta_name is None else jets[eta_name].astype(np.float64)
    return pt, eta


def cuts_text(pt: np.ndarray | None, eta: np.ndarray | None) -> str:
    """``"20 < $p_T$ < 250 GeV, $|\\eta| < 2.5$"`` from the range the jets cover ("" without them)."""
    parts = []
    if pt is not None and np.isfinite(pt).any():
        lo, hi = np.nanmin(pt), np.nanmax(pt)
        parts.append(f"{np.floor(lo):.0f} < $p_T$ < {np.ceil(hi):.0f} GeV")
    if eta is not None and np.isfinite(eta).any():
        parts.append(f"$|\\eta| < {np.ceil(np.nanmax(np.abs(eta)) * 10) / 10:.1f}$")
    return ", ".join(parts)


def load_puma() -> None:
    """Check that puma and ftag import, and keep puma's logger to errors.

    puma warns once per curve point where a rejection is infinite (no background jet passes); the plots
    show those points as gaps and the summary as a lower limit.

    Raises
    ------
    ModuleNotFoundError
        puma-hep or atlas-ftag-tools is not installed, with the command that installs them.
    """
    import logging

    try:
        import ftag  # noqa: F401
        import puma  # noqa: F401
    except ModuleNotFoundError as err:
        msg = (
            f"The flavour-tagging plots of `halite evaluate` need puma-hep and atlas-ftag-tools ({err}). "
            "Install them with `pip install --no-deps puma-hep==0.5.6 atlas-ftag-tools==0.3.6` "
            "(`make install` does)."
        )
        raise ModuleNotFoundError(msg) from err
    logging.getLogger("puma").setLevel(logging.ERROR)


def write_figure(plot: PlotBase, path: Path, formats: Sequence[str] = ("png",)) -> Path:
    """Write a drawn puma plot as ``path`` (PNG) and, for each other format, beside it; close it."""
    import matplotlib.pyplot as plt

    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        with atomic_path(target) as tmp:
            plot.savefig(str(tmp), format=fmt, dpi=DPI)
    plt.close(plot.fig)
    return path


def rejections(
    discs: Mapping[str, np.ndarray], sig: str, bkgs: Sequence[str], effs: np.ndarray
) -> dict[str, np.ndarray]:
    """Background rejection at each signal efficiency, with ``ftag.utils.calculate_rejection``.

    Parameters
    ----------
    discs
        Flavour -> ``(jets_of_that_flavour,)`` discriminant values.
    sig, bkgs
        Signal flavour and background flavours (keys of ``discs``).
    effs
        ``(points,)`` signal efficiencies.

    Returns
    -------
    Background -> ``(points,)`` rejection (``inf`` where no background jet passes).
    """
    load_puma()
    from ftag.utils import calculate_rejection

    return {b: np.asarray(calculate_rejection(discs[sig], discs[b], effs), dtype=np.float64) for b in bkgs}


def rejection_plot(
    discs: Mapping[str, Mapping[str, np.ndarray]],
    sig: str,
    bkgs: Sequence[str],
    labels: PlotLabels,
    ref: str | None = None,
    effs: np.ndarray | None = None,
    extra_tag: str = "",
) -> RocPlot:
    """A drawn ``puma.RocPlot``: rejection of each background vs signal efficiency, per tagger.

    Parameters
    ----------
    discs
        Tagger -> flavour -> ``(jets_of_that_flavour,)`` discriminant.
    sig, bkgs
        Signal flavour and the (one or two) background flavours.
    labels
        ATLAS-style tag text.
    ref
        Reference tagger (a key of ``discs``): one ratio panel per background, relative to it.
    effs
        ``(points,)`` signal efficiencies (default 0.5 ... 0.95).
    extra_tag
        A last line of the second tag, e.g. the fraction in the discriminant.

    Returns
    -------
    The drawn plot; ``plot.rocs[f"{tagger}_{bkg}"].bkg_rej`` holds the rejection drawn, with a binomial
    uncertainty band from the number of background jets.
    """
    load_puma()
    from ftag import Flavours
    from puma import Roc, RocPlot

    empty = sorted({f"{t}: {f}" for t, d in discs.items() for f in (sig, *bkgs) if len(d[f]) == 0})
    if empty:
        msg = f"No jets of flavour(s) {empty} for the {sig}-tagging rejection plot; leave those backgrounds out."
        raise ValueError(msg)
    effs = np.linspace(0.5, 0.95, 46) if effs is None else effs
    ratios = ref is not None and ref in discs
    plot = RocPlot(
        n_ratio_panels=len(bkgs) if ratios else 0,
        ylabel="Background rejection",
        xlabel=Flavours[FTAG_LABELS[sig]].eff_str,
        figsize=(6.5, 6.0 if ratios else 4.8),
        **_style(labels, extra_tag),
    )
    for tagger in _reference_first(discs, ref if ratios else None):
        rej = rejections(discs[tagger], sig, bkgs, effs)
        for b in bkgs:
            plot.add_roc(
                Roc(
                    effs,
                    rej[b],
                    n_test=len(discs[tagger][b]),
                    rej_class=Flavours[FTAG_LABELS[b]],
                    signal_class=FTAG_LABELS[sig],
                    # with ratio panels puma names the backgrounds in them; else the legend does
                    label=tagger if ratios else f"{tagger}: {Flavours[FTAG_LABELS[b]].label}",
                ),
                key=f"{tagger}_{b}",
                reference=ratios and tagger == ref,
            )
    if ratios:
        for i, b in enumerate(bkgs):
            plot.set_ratio_class(i + 1, Flavours[FTAG_LABELS[b]])
    plot.draw()
    return plot


def discriminant_plot(
    discs: Mapping[str, np.ndarray],
    sig: str,
    tagger: str,
    labels: PlotLabels,
    working_points: Mapping[float, float] | None = None,
    extra_tag: str = "",
) -> Any:
    """A drawn ``puma.HistogramPlot`` of the discriminant per flavour (normalised, log y).

    Parameters
    ----------
    discs
        Flavour -> ``(jets_of_that_flavour,)`` discriminant.
    sig
        Signal flavour (names the axis: ``D_b``).
    tagger
        Tagger name, in the axis label.
    labels
        ATLAS-style tag text.
    working_points
        Signal efficiency -> cut value; each drawn as a dashed line labelled with the efficiency.
    extra_tag
        A last line of the second tag.
    """
    load_puma()
    from ftag import Flavours
    from puma import Histogram, HistogramPlot

    finite = np.concatenate([d[np.isfinite(d)] for d in discs.values()] + [np.zeros(0)])
    lo, hi = np.percentile(finite, [0.05, 99.95]) if len(finite) else (0.0, 1.0)
    bins = np.linspace(float(lo), float(hi), 50)
    plot = HistogramPlot(
        xlabel=f"$D_{{{sig}}}$ ({tagger})",
        ylabel="Normalised number of jets",
        logy=True,
        atlas_first_tag=labels.first_tag,
        atlas_second_tag=labels.second_tag(extra_tag),
        figsize=(6.5, 4.8),
        y_scale=2.0,  # on the log axis: the data fill the lower half, the cut labels sit above
        leg_fontsize=9,
        leg_ncol=1,
        dpi=DPI,
    )
    for name, d in discs.items():
        if len(d):
            plot.add(Histogram(d[np.isfinite(d)], bins=bins, flavour=Flavours[FTAG_LABELS[name]]))
    plot.draw()
    if working_points:
        cuts = sorted(working_points.items(), key=lambda kv: kv[1])
        plot.draw_vlines(
            xs=[c for _, c in cuts],
            labels=[f"{round(e * 100)}%" for e, _ in cuts],
            ys=[0.70 - 0.05 * i for i in range(len(cuts))],
            fontsize=8,
        )
    return plot


def vs_pt_plot(
    pt: Mapping[str, Mapping[str, np.ndarray]],
    discs: Mapping[str, Mapping[str, np.ndarray]],
    sig: str,
    bkg: str | None,
    working_point: float,
    labels: PlotLabels,
    bins: np.ndarray,
    ref: str | None = None,
    extra_tag: str = "",
) -> Any:
    """A drawn ``puma.VarVsEffPlot``: signal efficiency (``bkg=None``) or ``bkg`` rejection vs pt.

    Parameters
    ----------
    pt, discs
        Tagger -> flavour -> ``(jets_of_that_flavour,)`` pt in GeV / discriminant.
    sig, bkg
        Signal flavour; background flavour for a rejection plot, ``None`` for the signal efficiency.
    working_point
        Inclusive signal efficiency of the cut (the same cut in every pt bin).
    labels
        ATLAS-style tag text.
    bins
        ``(edges,)`` pt bin edges in GeV.
    ref
        Reference tagger: a ratio panel relative to it.
    extra_tag
        A last line of the second tag.
    """
    load_puma()
    from ftag import Flavours
    from puma import VarVsEff, VarVsEffPlot

    ratios = ref is not None and ref in discs
    other = bkg if bkg is not None else next(f for f in FTAG_LABELS if f != sig)
    plot = VarVsEffPlot(
        mode="sig_eff" if bkg is None else "bkg_rej",
        ylabel=Flavours[FTAG_LABELS[sig]].eff_str if bkg is None else Flavours[FTAG_LABELS[bkg]].rej_str,
        xlabel="Jet $p_T$ [GeV]",
        logx=bool(bins[0] > 0 and bins[-1] / bins[0] > 8),
        logy=False,
        n_ratio_panels=1 if ratios else 0,
        ylabel_ratio=[f"Ratio to {ref}"] if ratios else None,
        figsize=(6.5, 5.5 if ratios else 4.8),
        **_style(labels, extra_tag),
    )
    for tagger in _reference_first(discs, ref if ratios else None):
        plot.add(
            VarVsEff(
                x_var_sig=pt[tagger][sig],
                disc_sig=discs[tagger][sig],
                x_var_bkg=pt[tagger][other],
                disc_bkg=discs[tagger][other],
                bins=bins,
                working_point=working_point,
                label=tagger,
            ),
            reference=ratios and tagger == ref,
        )
    plot.apply_modified_atlas_second_tag(
        signal=Flavours[FTAG_LABELS[sig]],
        background=None if bkg is None else Flavours[FTAG_LABELS[bkg]],
        working_point=working_point,
    )
    plot.draw()
    return plot


def pt_bins(pt: np.ndarray, n: int = 8, top: float = 0.99) -> np.ndarray:
    """``(edges,)`` pt bin edges in GeV holding about equal numbers of jets.

    Quantiles of ``pt`` up to ``top`` (the hardest 1% of jets, a long tail, would stretch the last bin
    over most of the axis), rounded to 5 GeV; the first edge is the lowest pt. At least 2 edges.
    """
    finite = pt[np.isfinite(pt)]
    if len(finite) == 0:
        return np.array([0.0, 1.0])
    edges = np.unique(np.round(np.quantile(finite, np.linspace(0, top, n + 1)) / 5) * 5)
    edges[0] = min(edges[0], np.floor(finite.min()))
    return edges if len(edges) > 1 else np.array([edges[0], edges[0] + 1.0])
