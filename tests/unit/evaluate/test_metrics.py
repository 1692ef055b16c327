"""Rejections with their counts: lower limits when no background passes, valid JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from halite.evaluate.metrics import Rejection, format_rejection_fields, rejection, rejection_at

SIG = np.array([0.9, 0.8, 0.7, 0.6, 0.1])


def test_rejection_counts_and_error() -> None:
    bkg = np.array([0.85, 0.5, 0.4, 0.3, 0.2, 0.05, 0.01, 0.0])
    r = rejection(SIG, bkg, 0.6)  # cut at 0.6: 1 of 8 passes
    assert (r.value, r.num_pass, r.num_total, r.is_lower_limit) == (8.0, 1, 8, False)
    assert r.error == pytest.approx(np.sqrt(1 / 8 * 7 / 8 / 8) * 64)
    assert r.format() == f"8.0 ± {r.error:.1f}"
    assert rejection_at(SIG, bkg, 0.6) == (r.value, r.error)


def test_no_background_passing_is_a_lower_limit() -> None:
    bkg = np.zeros(198)
    r = rejection(SIG, bkg, 0.6)
    assert r.is_lower_limit and r.value == 198 and r.num_pass == 0
    assert r.format() == "> 198 (0 of 198 pass)"
    assert r.format(2) == "> 198 (0 of 198 pass)"
    fields = r.fields("light")
    assert fields == {
        "light_rejection": 198.0,
        "light_rejection_err": None,
        "light_rejection_is_lower_limit": True,
        "light_num_pass": 0,
        "light_num_total": 198,
    }
    text = json.dumps(fields, allow_nan=False)  # strict JSON: no Infinity / NaN
    assert format_rejection_fields(json.loads(text), "light") == "> 198 (0 of 198 pass)"
    # the old tuple interface keeps its contract
    rej, err = rejection_at(SIG, bkg, 0.6)
    assert rej == math.inf and math.isnan(err)


def test_no_jets_is_undefined_not_a_limit() -> None:
    for r in (rejection(SIG, np.array([]), 0.7), rejection(np.array([]), np.zeros(5), 0.7)):
        assert not r.defined and not r.is_lower_limit
        assert r.format() == "n/a (no jets)"
        fields = r.fields("c")
        assert fields["c_rejection"] is None and fields["c_rejection_err"] is None
        assert fields["c_rejection_is_lower_limit"] is False
        json.dumps(fields, allow_nan=False)


def test_format_rejection_fields_digits() -> None:
    entry = Rejection(4.0, 0.25, 50, 200).fields("c")
    assert format_rejection_fields(entry, "c", 2) == "4.00 ± 0.25"
    assert format_rejection_fields(entry, "c") == "4.0 ± 0.2"
