"""Derived inputs of HDF5 streams (``data.new_variables``): reader, norm dict and errors."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from halite.data.datamodule import JetDataModule
from halite.data.expressions import ExpressionError
from halite.data.prep import compute_norm_dict
from halite.data.readers import H5Reader, H5ReaderFactory
from halite.data.specs import InputSpec
from halite.errors import DataError

NEW = {
    "jets": {"log_pt": "log(pt)"},
    "particles": {
        "log_pt": "log(pt)",
        "log_e": "log(energy)",
        "log_pt_rel": "log(pt / jets_pt)",
        "e_rel": "energy / jets_energy",
        "dR": "hypot(deta, dphi)",
        "twice_dR": "2 * dR",  # uses another new variable, defined before it
    },
}
PART_VARS = ("log_pt", "log_e", "log_pt_rel", "e_rel", "twice_dR", "dR", "charge")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    n, slots = 7, 5
    jets = np.zeros(n, dtype=[("pt", "f4"), ("energy", "f4"), ("label", "i4")])
    jets["pt"] = rng.uniform(100, 200, n)
    jets["energy"] = jets["pt"] * 1.5
    jets["label"] = np.arange(n) % 2
    parts = np.zeros(
        (n, slots),
        dtype=[
            ("valid", "?"),
            ("pt", "f4"),
            ("energy", "f4"),
            ("deta", "f4"),
            ("dphi", "f4"),
            ("charge", "f4"),
        ],
    )
    counts = np.array([5, 1, 3, 0, 2, 4, 5])
    parts["valid"] = np.arange(slots)[None] < counts[:, None]
    for name, lo, hi in (("pt", 1, 50), ("deta", -0.4, 0.4), ("dphi", -0.4, 0.4), ("charge", -1, 1)):
        parts[name] = np.where(parts["valid"], rng.uniform(lo, hi, (n, slots)), 0)
    parts["energy"] = parts["pt"] * 1.2
    path = tmp_path / "d.h5"
    with h5py.File(path, "w") as f:
        f["jets"], f["particles"] = jets, parts
    return path


def _specs(new: dict = NEW, part_vars: tuple[str, ...] = PART_VARS) -> list[InputSpec]:
    ref = ("jets", "jets")
    return [
        InputSpec(
            "jets",
            "jets",
            ("log_pt", "pt"),
            True,
            new_variables=tuple(NEW["jets"].items()),
            global_ref=ref,
        ),
        InputSpec(
            "particles", "particles", part_vars, new_variables=tuple(new["particles"].items()), global_ref=ref
        ),
    ]


def _by_hand(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with h5py.File(path) as f:
        jets, parts = f["jets"][:], f["particles"][:]
    jpt = jets["pt"][:, None].astype(np.float64)
    with np.errstate(all="ignore"):  # log(0) in the padding
        cols = _columns(jets, parts, jpt)
    return np.log(jets["pt"]), np.stack(cols, -1), parts["valid"]


def _columns(jets: np.ndarray, parts: np.ndarray, jpt: np.ndarray) -> list[np.ndarray]:
    return [
        np.log(parts["pt"]),
        np.log(parts["energy"]),
        np.log(parts["pt"] / jpt),
        parts["energy"] / jets["energy"][:, None],
        2 * np.hypot(parts["deta"], parts["dphi"]),
        np.hypot(parts["deta"], parts["dphi"]),
        parts["charge"],
    ]


@pytest.mark.parametrize("packed", [True, False])
def test_reader_evaluates_new_variables(sample: Path, packed: bool) -> None:
    jet_log_pt, expected, valid = _by_hand(sample)
    reader = H5Reader(sample, _specs(), packed=packed)
    block = reader.read(1, 6)  # a block not starting at 0: the jets of each constituent line up
    reader.close()
    np.testing.assert_allclose(block.values["jets"][:, 0], jet_log_pt[1:6], rtol=1e-6)
    got = block.values["particles"]
    if packed:
        rows, n_valid = block.row_table("particles"), int(valid[1:6].sum())
        assert len(got) == n_valid + 1 and not got[n_valid].any()  # padding indexes the zero row at the end
        np.testing.assert_array_equal(rows == n_valid, ~valid[1:6])
        np.testing.assert_allclose(got[rows[valid[1:6]]], expected[1:6][valid[1:6]], rtol=1e-5)
    else:
        np.testing.assert_allclose(got[valid[1:6]], expected[1:6][valid[1:6]], rtol=1e-5)


def test_norm_dict_of_new_variables(sample: Path) -> None:
    jet_log_pt, expected, valid = _by_hand(sample)
    variables = {"jets": ["log_pt", "pt"], "particles": list(PART_VARS)}
    norm = compute_norm_dict(sample, variables, new_variables=NEW, block_size=3)
    assert norm["jets"]["log_pt"]["mean"] == pytest.approx(jet_log_pt.mean(), rel=1e-6)
    for i, var in enumerate(PART_VARS):
        x = expected[..., i][valid]
        assert norm["particles"][var]["mean"] == pytest.approx(x.mean(), rel=1e-5, abs=1e-7), var
        assert norm["particles"][var]["std"] == pytest.approx(x.std(), rel=1e-5), var


def test_datamodule_reads_new_variables(sample: Path) -> None:
    _, expected, valid = _by_hand(sample)
    dm = JetDataModule(
        str(sample),
        str(sample),
        {"jets": ["log_pt"], "particles": ["log_pt_rel", "dR"]},
        norm_dict="unused.yaml",
        new_variables=NEW,
        num_workers=0,
        batch_size=100,
        length_buckets=False,
    )
    (batch,) = list(dm.dataset("val"))
    got = batch.inputs["particles"][~batch.pad_masks["particles"]].numpy()
    order = np.argsort(batch.inputs["jets"][:, 0].numpy())  # shuffling off for val: file order
    assert (order == np.argsort(_by_hand(sample)[0])).all()
    np.testing.assert_allclose(np.sort(got[:, 0]), np.sort(expected[..., 2][valid]), rtol=1e-5)
    np.testing.assert_allclose(np.sort(got[:, 1]), np.sort(expected[..., 5][valid]), rtol=1e-5)


def test_unknown_name_is_named(sample: Path) -> None:
    bad = {"particles": {**NEW["particles"], "log_pt_rel": "log(pt / jets_ptt)"}}
    with pytest.raises(ExpressionError) as err:
        H5ReaderFactory(tuple(_specs(bad))).num_jets(sample)
    text = str(err.value)
    assert (
        "log_pt_rel" in text and "'log(pt / jets_ptt)'" in text and "jets_ptt" in text and str(sample) in text
    )
    with pytest.raises(ExpressionError, match="jets_ptt"):
        compute_norm_dict(sample, {"particles": ["log_pt_rel"]}, new_variables=bad)


@pytest.mark.parametrize(
    ("new", "match"),
    [
        (
            {"particles": {"x": "log(pt"}},
            "data.new_variables.particles.x: Expression 'log\\(pt' is not valid syntax",
        ),
        ({"particles": {"x": "pt.real"}}, "Attribute"),
        ({"tracks": {"x": "pt"}}, "names stream 'tracks'"),
    ],
)
def test_bad_config_fails_at_construction(sample: Path, new: dict, match: str) -> None:
    with pytest.raises(DataError, match=match):
        JetDataModule(str(sample), str(sample), {"jets": [], "particles": ["x"]}, "n.yaml", new_variables=new)


def test_clash_and_cycle(sample: Path) -> None:
    clash = {"particles": {"pt": "2 * pt"}}
    with pytest.raises(DataError, match="already fields"):
        H5ReaderFactory(tuple(_specs(clash, ("pt",)))).num_jets(sample)
    cycle = {"particles": {"a": "b + 1", "b": "a * 2"}}
    with pytest.raises(DataError, match="circular definition a -> b -> a"):
        H5ReaderFactory(tuple(_specs(cycle, ("a",)))).num_jets(sample)
