"""halite's streams in lumin's layout: the flat vector and the constituent matrix."""

from __future__ import annotations

import math

import pytest
import torch

from halite.models.lumin_inputs import FlatInput, MatrixInput, MatrixInputConfig, descending_order
from halite.nn.backbone import InputInfo

VARIABLES = {"jets": ["pt", "eta", "code"], "tracks": ["pt", "eta", "phi", "d0"]}
NORM = {s: {v: {"mean": 1.0, "std": 2.0} for v in vs} for s, vs in VARIABLES.items()}
INFO = InputInfo(VARIABLES, NORM, "jets", ["tracks"])


def test_flat_input_is_normalised_continuous_then_raw_codes() -> None:
    flat = FlatInput(INFO, ["eta", "pt"], ["code"])
    out = flat({"jets": torch.tensor([[5.0, 3.0, 7.0]])})
    torch.testing.assert_close(out, torch.tensor([[1.0, 2.0, 7.0]]))  # (3-1)/2, (5-1)/2, code as is


def test_matrix_input_sorts_pads_and_converts_to_lumins_four_vectors() -> None:
    cfg = MatrixInputConfig("tracks", features=["pt", "eta", "phi"], n_objects=3, sort_by="pt",
                            momentum="pt_eta_phi", mass=0.5, scale=0.1)  # fmt: skip
    assert cfg.vecs() == ["tracks0", "tracks1", "tracks2"]
    m = MatrixInput(cfg, INFO)
    assert m.feats_per_vec == ["px", "py", "pz", "E"]
    tracks = torch.tensor([[[10.0, 0.0, 0.0, 9.0], [20.0, 1.0, math.pi / 2, 9.0], [99.0, 9.0, 9.0, 9.0]]])
    mask = torch.tensor([[False, False, True]])
    x = m({"tracks": tracks}, {"tracks": mask})
    assert x.shape == (1, 3, 4)
    pt, pz = 2.0, 2.0 * math.sinh(1.0)  # leading track first: pt 20 * 0.1
    torch.testing.assert_close(x[0, 0], torch.tensor([0.0, pt, pz, math.sqrt(pt**2 + pz**2 + 0.05**2)]),
                               atol=1e-5, rtol=1e-5)  # fmt: skip
    torch.testing.assert_close(x[0, 1], torch.tensor([1.0, 0.0, 0.0, math.sqrt(1.0 + 0.05**2)]))
    assert (x[0, 2] == 0).all()  # padding stays zero


def test_matrix_input_normalises_plain_features_and_keeps_the_slot_count() -> None:
    m = MatrixInput(MatrixInputConfig("tracks", features=["d0"], n_objects=4), INFO)
    x = m({"tracks": torch.full((2, 2, 4), 3.0)}, {"tracks": torch.zeros(2, 2, dtype=torch.bool)})
    assert x.shape == (2, 4, 1)
    torch.testing.assert_close(x[:, :2], torch.ones(2, 2, 1))
    assert (x[:, 2:] == 0).all()


def test_matrix_input_errors_name_the_key() -> None:
    with pytest.raises(ValueError, match=r"matrix.input_name 'jets' is not a constituent stream"):
        MatrixInput(MatrixInputConfig("jets"), INFO)
    with pytest.raises(ValueError, match=r"matrix.sort_by 'E' is not in data.variables.tracks"):
        MatrixInput(MatrixInputConfig("tracks", sort_by="E"), INFO)
    with pytest.raises(ValueError, match=r"matrix.n_objects must be >= 1"):
        MatrixInput(MatrixInputConfig("tracks", n_objects=0), INFO)


def test_descending_order_is_stable_for_ties_and_padding() -> None:
    key = torch.tensor([[1.0, 3.0, 3.0, float("-inf"), 2.0, float("-inf")]])
    assert descending_order(key).tolist() == [[1, 2, 4, 0, 3, 5]]
    rnd = torch.randint(0, 4, (50, 12)).float()
    expect = torch.sort(rnd, dim=1, descending=True, stable=True).indices
    assert torch.equal(descending_order(rnd), expect)
