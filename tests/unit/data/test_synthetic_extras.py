"""Opt-in extras of the synthetic generator: electrons, soft muons, the mass parameter."""

from __future__ import annotations

import numpy as np

from halite.data import synthetic_extras as extras
from halite.data.synthetic import JET_DTYPE, TRACK_DTYPE, generate_jets


def test_default_output_unchanged_and_extras_added() -> None:
    base = generate_jets(2000, seed=5)
    full = generate_jets(2000, seed=5, electrons=True, soft_muons=True, parameters=True, num_electrons=6)
    assert set(base) == {"jets", "tracks"}
    assert base["jets"].dtype == JET_DTYPE and base["tracks"].dtype == TRACK_DTYPE
    for name in JET_DTYPE.names:  # the extras only append; jets are the same
        np.testing.assert_array_equal(full["jets"][name], base["jets"][name])
    light = base["jets"]["flavour_label"] != 0  # only b-jet tracks depend on the mass
    np.testing.assert_array_equal(full["tracks"][light], base["tracks"][light])
    assert full["electrons"].shape == (2000, 6) and full["electrons"].dtype == extras.ELECTRON_DTYPE
    assert full["parameters"].dtype == extras.PARAMETER_DTYPE
    assert "softMuon_pTrel" in (full["jets"].dtype.names or ())


def test_extras_physics() -> None:
    data = generate_jets(30_000, seed=9, electrons=True, soft_muons=True, parameters=True)
    flav = data["jets"]["flavour_label"]
    el = data["electrons"]
    # valid electrons first, sorted by descending pt
    n = el["valid"].sum(1)
    assert (el["valid"] == (np.arange(el.shape[1])[None] < n[:, None])).all()
    pts = np.where(el["valid"], el["pt"], -1.0)
    assert (np.diff(pts, axis=1) <= 0).all()
    # heavy flavour has more electrons and soft muons than light jets
    assert n[flav == 0].mean() > 2 * n[flav == 2].mean()
    mu = data["jets"]["softMuon_isMuon"]
    assert mu[flav == 0].mean() > 5 * mu[flav == 2].mean()
    assert (data["jets"]["softMuon_pt"][mu == 0] == 0).all()
    # the mass parameter: set for b-jets only and scaling their displacement
    mass = data["parameters"]["mass"]
    assert set(np.unique(mass[flav == 0])) == set(extras.MASS_POINTS)
    assert (mass[flav != 0] == 0).all()
    trk = data["tracks"]
    from_b = trk["valid"] & (trk["ftagTruthOriginLabel"] == 3)
    d0 = {
        m: np.abs(trk["d0"][(flav == 0) & (mass == m)][from_b[(flav == 0) & (mass == m)]]).mean()
        for m in (20.0, 80.0)
    }
    assert d0[80.0] > 2.5 * d0[20.0]
