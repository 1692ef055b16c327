"""Short text summary of a flavour tagger's performance (printed after ``halite test``)."""

from __future__ import annotations

import numpy as np

from halite.evaluate.metrics import btag_discriminant, rejection_at, roc_auc

WORKING_POINTS = (0.70, 0.77)


def flavour_summary(jets: np.ndarray, tagger: str, label: str = "flavour_label", fc: float = 0.2) -> dict:
    """Rejections at the standard working points and per-class AUCs.

    ``jets`` is a structured array with ``label`` (0=b, 1=c, 2=light) and the
    tagger's ``<tagger>_pb``, ``_pc``, ``_pu`` columns.
    """
    names = jets.dtype.names or ()
    cols = [f"{tagger}_p{c}" for c in "bcu"]
    if label not in names or any(c not in names for c in cols):
        return {}
    y = np.asarray(jets[label])
    pb, pc, pu = (np.asarray(jets[c], dtype=np.float64) for c in cols)
    disc = btag_discriminant(pb, pc, pu, fc)
    out: dict = {"num_jets": len(y), "fc": fc, "working_points": {}, "auc": {}}
    for wp in WORKING_POINTS:
        u_rej, u_err = rejection_at(disc[y == 0], disc[y == 2], wp)
        c_rej, c_err = rejection_at(disc[y == 0], disc[y == 1], wp)
        out["working_points"][f"{round(wp * 100)}"] = {
            "light_rejection": u_rej,
            "light_rejection_err": u_err,
            "c_rejection": c_rej,
            "c_rejection_err": c_err,
        }
    for i, (name, p) in enumerate(zip(("b", "c", "light"), (pb, pc, pu))):
        out["auc"][name] = roc_auc(p, y == i)
    return out


def format_summary(summary: dict, tagger: str) -> str:
    """Human-readable table of ``flavour_summary`` output."""
    if not summary:
        return ""
    lines = [f"Flavour-tagging summary for '{tagger}' on {summary['num_jets']} jets (f_c = {summary['fc']}):"]
    lines.append(f"  {'b-eff':>6} {'light rejection':>20} {'c rejection':>16}")
    for wp, v in summary["working_points"].items():
        lines.append(
            f"  {wp + '%':>6} {v['light_rejection']:>12.1f} ± {v['light_rejection_err']:<5.1f} "
            f"{v['c_rejection']:>9.2f} ± {v['c_rejection_err']:<5.2f}"
        )
    lines.append(f"  (a random tagger gives light rejection {1 / 0.7:.2f} at 70%)")
    lines.append("  AUC (one class vs rest): " + ", ".join(f"{k} {v:.4f}" for k, v in summary["auc"].items()))
    return "\n".join(lines)
