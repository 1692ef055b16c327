"""The per-event helpers of the Pythia sample: hadron flavour, labelling cone, impact parameters."""

from __future__ import annotations

import numpy as np
import pytest

from halite.data import pythia_jets as pj
from halite.data.pythia import Options
from halite.errors import DataError


@pytest.mark.parametrize(
    ("pid", "quark"),
    [
        (511, 5),
        (-521, 5),
        (5122, 5),
        (10511, 5),
        (421, 4),
        (-4122, 4),
        (211, 2),
        (321, 3),
        (2212, 2),
        (22, 0),
        (11, 0),
        (443, 4),
    ],
)
def test_heavy_quark(pid: int, quark: int) -> None:
    assert pj.heavy_quark(pid) == quark


def test_hadron_labels_exclusive_b_over_c() -> None:
    eta = np.array([0.0, 1.0, -1.0])
    phi = np.array([0.0, 2.0, -2.0])
    hadrons = np.array(
        [
            [20.0, 0.05, 0.0, 4.0],  # c in jet 0
            [20.0, -0.05, 0.05, 5.0],  # b in jet 0: b wins
            [20.0, 1.0, 2.25, 4.0],  # c in jet 1
            [20.0, -1.0, -2.0 + 0.35, 5.0],  # outside the 0.3 cone of jet 2
        ]
    )
    assert pj.hadron_labels(eta, phi, hadrons).tolist() == [5, 4, 0]
    assert pj.hadron_labels(eta, phi, np.zeros((0, 4))).tolist() == [0, 0, 0]


def test_constituent_records_impact_parameters() -> None:
    # a charged pion from a vertex 2 mm downstream along a jet at phi = 0, eta = 0 and a prompt photon
    particles = np.array(
        [
            [10.0, 1.0, 0.0, np.sqrt(101.0 + 0.0195), 1.0, 211.0, 2.0, 0.0, 0.0],
            [5.0, 0.0, 0.0, 5.0, 0.0, 22.0, 0.0, 0.0, 0.0],
        ]
    )
    rec = pj.constituent_records(particles, np.array([1, 0]), 0.0, 0.0, 4, np.random.default_rng(0))
    assert rec["valid"].tolist() == [True, True, False, False]
    assert rec["pid"][:2].tolist() == [211, 22]  # by decreasing pt
    pt = np.hypot(10.0, 1.0)
    d0_true = (2.0 * 1.0 - 0.0) / pt
    sigma = np.hypot(0.010, 0.080 / pt)
    assert abs(rec["d0"][0] - d0_true) < 5 * sigma
    assert rec["d0_significance"][0] > 5  # displaced along the jet: positive, significant
    assert rec["d0"][1] == 0 and rec["z0_significance"][1] == 0
    assert rec["is_charged_hadron"][:2].tolist() == [1, 0] and rec["is_photon"][:2].tolist() == [0, 1]
    assert np.isclose(rec["dphi"][0], np.arctan2(1.0, 10.0))


def test_options_checked() -> None:
    with pytest.raises(DataError, match="choose one of"):
        Options("ttbar").resolved()
    with pytest.raises(DataError, match="pt_min < pt_max"):
        Options("flavour", pt_min=50, pt_max=40).resolved()
    assert Options("quark_gluon").resolved()[1] == 0.4 and Options("top_qcd").resolved()[1] == 0.8
