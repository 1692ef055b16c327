"""Short text summary of a flavour tagger's performance (printed after ``halite test``)."""

from __future__ import annotations

import numpy as np

from halite.evaluate.metrics import btag_discriminant, format_rejection_fields, rejection, roc_auc

WORKING_POINTS = (0.70, 0.77)


def flavour_summary(jets: np.ndarray, tagger: str, label: str = "flavour_label", fc: float = 0.2) -> dict:
    """Rejections at the standard working points and per-class AUCs.

    ``jets`` is a structured array with ``label`` (0=b, 1=c, 2=light) and the
    tagger's ``<tagger>_pb``, ``_pc``, ``_pu`` columns. Each working point holds, for
    ``light`` and ``c``, the ``Rejection.fields`` of ``halite.evaluate.metrics``:
    ``light_rejection``, ``light_rejection_err``, ``light_rejection_is_lower_limit``
    (True when no light jet passes the cut: ``light_rejection`` is then the lower limit,
    the number of light jets, and its error is None), ``light_num_pass``, ``light_num_total``.
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
        out["working_points"][f"{round(wp * 100)}"] = {
            **rejection(disc[y == 0], disc[y == 2], wp).fields("light"),
            **rejection(disc[y == 0], disc[y == 1], wp).fields("c"),
        }
    for i, (name, p) in enumerate(zip(("b", "c", "light"), (pb, pc, pu))):
        out["auc"][name] = roc_auc(p, y == i)
    return out


def format_summary(summary: dict, tagger: str) -> str:
    """Human-readable table of ``flavour_summary`` output."""
    if not summary:
        return ""
    lines = [f"Flavour-tagging summary for '{tagger}' on {summary['num_jets']} jets (f_c = {summary['fc']}):"]
    rows = [
        (wp + "%", format_rejection_fields(v, "light", 1), format_rejection_fields(v, "c", 2))
        for wp, v in summary["working_points"].items()
    ]
    header = ("b-eff", "light rejection", "c rejection")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        lines.append("  " + "   ".join(cell.rjust(w) for cell, w in zip(row, widths)))
    lines.append(f"  (a random tagger gives light rejection {1 / 0.7:.2f} at 70%)")
    lines.append("  AUC (one class vs rest): " + ", ".join(f"{k} {v:.4f}" for k, v in summary["auc"].items()))
    return "\n".join(lines)
