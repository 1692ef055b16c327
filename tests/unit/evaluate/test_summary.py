"""The flavour-tagging summary printed after ``halite test`` (and its JSON)."""

from __future__ import annotations

import json

import numpy as np

from halite.evaluate.summary import flavour_summary, format_summary


def jets(n: int = 600, perfect_light: bool = False, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], n // 3)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), y] += 2.0
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    if perfect_light:  # no light jet looks like a b jet: none passes any cut
        p[y == 2] = [1e-6, 1e-6, 1.0 - 2e-6]
    arr = np.zeros(n, dtype=[("flavour_label", "i4")] + [(f"t_p{c}", "f4") for c in "bcu"])
    arr["flavour_label"] = y
    for i, c in enumerate("bcu"):
        arr[f"t_p{c}"] = p[:, i]
    return arr


def test_summary_values_and_table() -> None:
    s = flavour_summary(jets(), "t")
    wp = s["working_points"]["70"]
    assert wp["light_rejection_is_lower_limit"] is False and wp["light_num_total"] == 200
    assert wp["light_rejection"] == 200 / wp["light_num_pass"]
    text = format_summary(s, "t")
    lines = text.splitlines()
    assert lines[1].split() == ["b-eff", "light", "rejection", "c", "rejection"]
    assert lines[2].split()[0] == "70%" and f"{wp['light_rejection']:.1f} ± " in lines[2]
    assert "inf" not in text and "nan" not in text


def test_no_light_jet_passing_prints_a_lower_limit() -> None:
    s = flavour_summary(jets(perfect_light=True), "t")
    for wp in s["working_points"].values():
        assert wp["light_rejection"] == 200 and wp["light_rejection_err"] is None
        assert wp["light_rejection_is_lower_limit"] is True and wp["light_num_pass"] == 0
        assert wp["c_rejection_is_lower_limit"] is False
    text = format_summary(s, "t")
    assert "> 200 (0 of 200 pass)" in text
    assert "inf" not in text and "nan" not in text
    # the columns line up with the longer cells
    rows = text.splitlines()[1:4]
    assert len({len(r) for r in rows}) == 1
    back = json.loads(json.dumps(s, allow_nan=False))
    assert back["working_points"]["77"]["light_rejection_is_lower_limit"] is True
