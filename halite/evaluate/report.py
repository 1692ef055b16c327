"""A report folder (PNG plots, index.html, summary.json) from prediction files, for ``halite evaluate``."""

from __future__ import annotations

import dataclasses
import html
import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from halite.errors import DataError, did_you_mean
from halite.evaluate import ftag_plots, plots
from halite.evaluate.ftag_plots import PlotLabels
from halite.evaluate.metrics import btag_discriminant, format_rejection_fields, rejection, roc_auc
from halite.io import atomic_path

WORKING_POINTS = (0.60, 0.70, 0.77, 0.85)
#: inclusive signal efficiency of the cut in the efficiency / rejection vs pt plots
PT_WORKING_POINT = 0.70
FLAVOURS = {"b": 0, "c": 1, "light": 2}


def load_predictions(paths: list[Path]) -> tuple[np.ndarray, np.ndarray | None, list[dict[str, Any]]]:
    """Concatenate the ``jets`` (and ``tracks``, when present in all files) of prediction files."""
    jets: list[np.ndarray] = []
    tracks: list[np.ndarray | None] = []
    tasks: list[dict[str, Any]] = []
    for p in paths:
        if not p.is_file():
            msg = f"Prediction file not found: {p}. Run `halite test` first."
            raise FileNotFoundError(msg)
        with h5py.File(p, "r") as f:
            if "jets" not in f:
                msg = f"{p} has no 'jets' dataset; is it a halite/salt prediction file? It has {sorted(f)}."
                raise KeyError(msg)
            jets.append(f["jets"][:])
            tracks.append(f["tracks"][:] if "tracks" in f else None)
            tasks = json.loads(f.attrs.get("tasks", "[]"))
    present = [t for t in tracks if t is not None]
    trk = np.concatenate(present) if len(present) == len(tracks) else None
    return np.concatenate(jets), trk, tasks


def rejection_curve(disc_sig: np.ndarray, disc_bkg: np.ndarray, effs: np.ndarray) -> np.ndarray:
    """Background rejection at each signal efficiency in ``effs`` (inf where nothing passes)."""
    cuts = np.quantile(disc_sig, 1.0 - effs)
    bkg = np.sort(disc_bkg)
    passing = len(bkg) - np.searchsorted(bkg, cuts, side="right")
    with np.errstate(divide="ignore"):
        return len(bkg) / passing.astype(np.float64)


def flavour_section(
    jets: np.ndarray,
    taggers: list[str],
    out: Path,
    fc: float,
    fb: float,
    label: str = "flavour_label",
    labels: PlotLabels | None = None,
) -> tuple[dict, list[Path]]:
    """b- and c-tagging discriminants, working-point tables and puma plots.

    The plots: discriminant per flavour (``disc_<sig>_<tagger>``), rejection vs efficiency with
    uncertainty bands and ratios to the reference (``rejection_<sig>``), and at the 70% working point
    the signal efficiency and each background's rejection vs pt (``eff_vs_pt_<sig>``,
    ``rej_vs_pt_<sig>_<bkg>``), when the jets have a pt.
    """
    y = jets[label]
    pt, eta = ftag_plots.jet_kinematics(jets)
    labels = labels or ftag_plots.PlotLabels()
    if labels.cuts is None:
        labels = dataclasses.replace(labels, cuts=ftag_plots.cuts_text(pt, eta))
    ref = taggers[1] if len(taggers) > 1 else None
    summary: dict[str, Any] = {}
    figs: list[Path] = []
    for sig, bkgs, other, other_frac in (("b", ("c", "light"), "c", fc), ("c", ("b", "light"), "b", fb)):
        frac = f"$f_{{{other}}}$ = {other_frac:g}"
        discs: dict[str, dict[str, np.ndarray]] = {}
        for tagger in taggers:
            pb, pc, pu = (jets[f"{tagger}_p{c}"].astype(np.float64) for c in "bcu")
            if sig == "b":
                disc = btag_discriminant(pb, pc, pu, other_frac)
            else:
                disc = btag_discriminant(pc, pb, pu, other_frac)
            discs[tagger] = {f: disc[y == i] for f, i in FLAVOURS.items()}
            table = {}
            for wp in WORKING_POINTS:
                entry = {}
                for b in bkgs:
                    entry.update(rejection(discs[tagger][sig], discs[tagger][b], wp).fields(b))
                table[f"{round(wp * 100)}"] = entry
            summary.setdefault(tagger, {})[f"{sig}_tagging"] = {
                "other_fraction": other_frac,
                "working_points": table,
            }
        first = discs[taggers[0]]
        cuts = (
            {wp: float(np.quantile(first[sig], 1.0 - wp)) for wp in WORKING_POINTS} if len(first[sig]) else {}
        )
        plot = ftag_plots.discriminant_plot(first, sig, taggers[0], labels, cuts, frac)
        figs.append(ftag_plots.write_figure(plot, out / f"disc_{sig}_{taggers[0]}.png", labels.formats))
        present = tuple(b for b in bkgs if len(first[b]))  # a background without jets has no curve
        if len(first[sig]) and present:
            plot = ftag_plots.rejection_plot(discs, sig, present, labels, ref, extra_tag=frac)
            figs.append(ftag_plots.write_figure(plot, out / f"rejection_{sig}.png", labels.formats))
        if pt is not None and all(len(first[f]) for f in FLAVOURS):
            pts = {t: {f: pt[y == i] for f, i in FLAVOURS.items()} for t in taggers}
            bins = ftag_plots.pt_bins(pt[np.isin(y, list(FLAVOURS.values()))])
            for bkg, name in ((None, f"eff_vs_pt_{sig}"), *((b, f"rej_vs_pt_{sig}_{b}") for b in bkgs)):
                plot = ftag_plots.vs_pt_plot(pts, discs, sig, bkg, PT_WORKING_POINT, labels, bins, ref, frac)
                figs.append(ftag_plots.write_figure(plot, out / f"{name}.png", labels.formats))
    return summary, figs


def roc_points(scores: np.ndarray, truth: np.ndarray, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates at ``n`` thresholds."""
    cuts = np.quantile(scores, np.linspace(0, 1, n))
    pos, neg = np.sort(scores[truth]), np.sort(scores[~truth])
    tpr = 1 - np.searchsorted(pos, cuts, side="right") / max(len(pos), 1)
    fpr = 1 - np.searchsorted(neg, cuts, side="right") / max(len(neg), 1)
    return fpr, tpr


def classification_section(
    arr: np.ndarray, task: dict, tagger: str, out: Path, valid: np.ndarray | None = None
) -> tuple[dict, list[Path]]:
    """ROC curves with AUC per class, confusion matrix and per-class accuracy of one task."""
    from halite.tasks.classification import short_class_name

    label, names = task["label"], task["class_names"]
    cols = [f"{tagger}_p{short_class_name(c)}" for c in names]
    fields = arr.dtype.names or ()
    if label not in fields or any(c not in fields for c in cols):
        return {}, []
    sel = np.ones(arr.shape, dtype=bool) if valid is None else valid
    y = arr[label][sel].astype(np.int64)
    keep = y >= 0
    probs = np.stack([arr[c][sel] for c in cols], axis=-1)[keep]
    y = y[keep]
    pred = probs.argmax(-1)
    k = len(names)
    matrix = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    curves, aucs = {}, {}
    for i, name in enumerate(names):
        if (y == i).any() and (y != i).any():
            aucs[name] = roc_auc(probs[:, i], y == i)
            fpr, tpr = roc_points(probs[:, i], y == i)
            curves[name] = (fpr, tpr, aucs[name])
    per_class = {
        n: float(matrix[i, i] / matrix[i].sum()) if matrix[i].sum() else float("nan")
        for i, n in enumerate(names)
    }
    purity = {
        n: float(matrix[i, i] / matrix[:, i].sum()) if matrix[:, i].sum() else float("nan")
        for i, n in enumerate(names)
    }
    figs = [
        plots.roc(curves, task["name"], out / f"roc_{task['name']}.png"),
        plots.confusion(matrix, names, task["name"], out / f"confusion_{task['name']}.png"),
    ]
    summary = {
        "accuracy": float((pred == y).mean()) if len(y) else float("nan"),
        "auc": aucs,
        "efficiency": per_class,
        "purity": purity,
        "confusion_matrix": matrix.tolist(),
    }
    return summary, figs


def binned_stats(
    x: np.ndarray, ratio: np.ndarray, nbins: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and IQR/2 of ``ratio`` in quantile bins of ``x``."""
    edges = np.unique(np.quantile(x, np.linspace(0, 1, nbins + 1)))
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    centres, med, width = [], [], []
    for b in range(len(edges) - 1):
        r = ratio[idx == b]
        if len(r) < 5:
            continue
        q25, q50, q75 = np.percentile(r, [25, 50, 75])
        centres.append(0.5 * (edges[b] + edges[b + 1]))
        med.append(q50)
        width.append(0.5 * (q75 - q25))
    return np.array(centres), np.array(med), np.array(width)


def regression_section(jets: np.ndarray, task: dict, tagger: str, out: Path) -> tuple[dict, list[Path]]:
    """Response and resolution vs the true value and vs pt; pulls when a stddev is predicted."""
    summary, figs = {}, []
    names = jets.dtype.names or ()
    # salt's names: <model>_<target>, Gaussian regression <task>_<target> (and _stddev)
    prefix = task["name"] if task.get("type") == "GaussianRegressionTask" else tagger
    for target in task.get("targets") or []:
        col = f"{prefix}_{target}"
        if target not in names or col not in names:
            continue
        true, pred = jets[target].astype(np.float64), jets[col].astype(np.float64)
        ok = np.isfinite(true) & np.isfinite(pred) & (true != 0)
        ratio = pred[ok] / true[ok]
        q25, q50, q75 = np.percentile(ratio, [25, 50, 75])
        entry: dict[str, Any] = {
            "median_response": float(q50),
            "resolution_iqr_half": float(0.5 * (q75 - q25)),
        }
        for xname in dict.fromkeys([target, "pt"]):
            if xname in names:
                c, m, w = binned_stats(jets[xname].astype(np.float64)[ok], ratio)
                figs.append(
                    plots.binned_response(
                        jets[xname][ok],
                        c,
                        m,
                        w,
                        xname,
                        f"{col} vs {xname}",
                        out / f"response_{col}_vs_{xname}.png",
                    )
                )
        std_col = f"{col}_stddev"
        if std_col in names:
            pulls = (pred - true)[ok] / jets[std_col].astype(np.float64)[ok]
            entry["pull_mean"] = float(np.mean(pulls))
            entry["pull_width"] = float(np.std(pulls))
            figs.append(
                plots.histogram(
                    pulls, "(pred - true) / stddev", f"pulls of {col}", out / f"pulls_{col}.png", gauss=True
                )
            )
        summary[target] = entry
    return summary, figs


def real_constituents(tracks: np.ndarray) -> np.ndarray:
    """``(jets, slots)`` True for real constituents: ``~mask`` (salt's layout), else ``valid``."""
    names = tracks.dtype.names or ()
    return ~tracks["mask"] if "mask" in names else tracks["valid"]


def vertexing_section(tracks: np.ndarray, out: Path) -> dict:
    """Pair efficiency and purity of predicted vertex indices against ``ftagTruthVertexIndex``."""
    names = tracks.dtype.names or ()
    pred_cols = [n for n in names if n.endswith("VertexIndex") and n != "ftagTruthVertexIndex"]
    if "ftagTruthVertexIndex" not in names or not pred_cols:
        return {}
    valid = real_constituents(tracks)
    truth = tracks["ftagTruthVertexIndex"].astype(np.int64)
    pred = tracks[pred_cols[0]].astype(np.int64)
    pair = valid[:, :, None] & valid[:, None, :]
    n = valid.shape[1]
    pair &= ~np.eye(n, dtype=bool)[None]
    same_true = (truth[:, :, None] == truth[:, None, :]) & (truth[:, :, None] >= 0) & pair
    same_pred = (pred[:, :, None] == pred[:, None, :]) & (pred[:, :, None] >= 0) & pair
    tp = int((same_true & same_pred).sum())
    return {
        "column": pred_cols[0],
        "pair_efficiency": tp / max(int(same_true.sum()), 1),
        "pair_purity": tp / max(int(same_pred.sum()), 1),
    }


def working_point_table(flavour: dict) -> str:
    """HTML tables of the rejections at each working point (``summary["flavour_tagging"]``).

    A rejection where no background jet passes shows as a lower limit, ``> 198 (0 of 198 pass)``.
    """
    tables = []
    for tagger, kinds in flavour.items():
        for kind, section in kinds.items():
            points = section["working_points"]
            bkgs = sorted(
                {k[: -len("_rejection")] for v in points.values() for k in v if k.endswith("_rejection")}
            )
            head = "".join(f"<th>{html.escape(b)} rejection</th>" for b in bkgs)
            rows = "".join(
                f"<tr><td>{wp}%</td>"
                + "".join(f"<td>{html.escape(format_rejection_fields(v, b, 2))}</td>" for b in bkgs)
                + "</tr>"
                for wp, v in points.items()
            )
            sig = kind.split("_")[0]
            tables.append(
                f"<h3>{html.escape(tagger)}: {html.escape(sig)}-tagging working points</h3>"
                f"<table><tr><th>{html.escape(sig)}-eff</th>{head}</tr>{rows}</table>"
            )
    return "".join(tables)


def write_html(out: Path, title: str, summary: dict, figs: list[Path]) -> Path:
    """A self-contained index.html: the working-point table, the plots and the summary."""
    imgs = "\n".join(
        f'<figure><a href="{f.name}"><img src="{f.name}" width="460"></a>'
        f"<figcaption>{html.escape(f.stem)}</figcaption></figure>"
        for f in figs
    )
    table = (
        f"<h2>Working points</h2>{working_point_table(summary['flavour_tagging'])}"
        if summary.get("flavour_tagging")
        else ""
    )
    body = (
        f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif} figure{display:inline-block;margin:8px;vertical-align:top}"
        "table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{table}<h2>Plots</h2>{imgs}<h2>Summary</h2>"
        f"<pre>{html.escape(json.dumps(summary, indent=2))}</pre></body></html>"
    )
    path = out / "index.html"
    with atomic_path(path) as tmp:
        tmp.write_text(body)
    return path


def evaluate(
    paths: list[Path],
    tagger: str,
    out: Path,
    ref: str | None = None,
    fc: float = 0.2,
    fb: float = 0.2,
    labels: PlotLabels | None = None,
) -> dict:
    """Write the report for ``tagger`` (and ``ref``) into ``out``; return the summary.

    ``labels`` sets the ATLAS-style tag of the flavour-tagging plots (default: "Simulation Internal",
    the jets' pt / eta range).
    """
    jets, tracks, tasks = load_predictions(paths)
    names = jets.dtype.names or ()
    taggers = [tagger] + ([ref] if ref else [])
    for t in taggers:
        if not any(n.startswith(f"{t}_") for n in names):
            cols = sorted({n.rsplit("_", 1)[0] for n in names if n.endswith(("_pb", "_pu"))})
            msg = f"No outputs of tagger '{t}' in {[str(p) for p in paths]}; taggers found: {cols}.{did_you_mean(t, cols)}"
            raise DataError(msg)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "files": [str(p) for p in paths],
        "num_jets": len(jets),
        "tagger": tagger,
        "ref": ref,
    }
    figs: list[Path] = []
    if "flavour_label" in names and all(f"{t}_p{c}" in names for t in taggers for c in "bcu"):
        flav, f = flavour_section(jets, taggers, out, fc, fb, labels=labels)
        summary["flavour_tagging"] = flav
        figs += f
    for task in tasks:
        kind = task.get("type", "")
        if "Classification" in kind and task.get("class_names"):
            arr, valid = (
                (jets, None)
                if task["input_name"] not in ("tracks",)
                else (tracks, None if tracks is None else real_constituents(tracks))
            )
            if arr is None:
                continue
            s, f = classification_section(arr, task, tagger, out, valid)
            if s:
                summary.setdefault("tasks", {})[task["name"]] = s
                figs += f
        elif "Regression" in kind:
            s, f = regression_section(jets, task, tagger, out)
            if s:
                summary.setdefault("tasks", {})[task["name"]] = s
                figs += f
    if tracks is not None:
        vtx = vertexing_section(tracks, out)
        if vtx:
            summary["vertexing"] = vtx
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2, default=float))
    write_html(out, f"halite evaluation: {tagger}", summary, figs)
    return summary
