"""PredictionWriter: salt's column names, dtypes and datasets for a GN2-like model, read with plain h5py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import lightning as L
import numpy as np
import pytest
import torch
import yaml

from halite.data.datamodule import JetDataModule
from halite.data.prep import compute_norm_dict
from halite.data.synthetic import write_file
from halite.models.model import Model
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.nn.sets.transformer import TransformerEncoder
from halite.tasks import ClassificationTask, GaussianRegressionTask, RegressionTask, VertexingTask
from halite.training.callbacks.prediction_writer import PredictionWriter
from halite.training.module import LitModel

VARIABLES = {"jets": ["pt", "eta"], "tracks": ["d0", "z0SinTheta", "dphi", "deta"]}
NUM = 40


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("pred")
    path = out / "test.h5"
    write_file(path, NUM, seed=3)
    norm = out / "norm.yaml"
    norm.write_text(yaml.safe_dump(compute_norm_dict(path, VARIABLES)))
    return path, norm


def gn2_like() -> LitModel:
    tasks = [
        ClassificationTask(
            "jets_classification", "jets", "HadronConeExclTruthLabelID",
            class_names=["bjets", "cjets", "ujets", "taujets"], label_map={5: 0, 4: 1, 0: 2, 15: 3},
        ),
        ClassificationTask("track_origin", "tracks", "ftagTruthOriginLabel"),
        VertexingTask("track_vertexing", "tracks", "ftagTruthVertexIndex"),
        RegressionTask("jet_pt", "jets", "pt_truth"),
        GaussianRegressionTask("jet_pt_gauss", "jets", "pt_truth", target_denominators="pt"),
    ]  # fmt: skip
    model = Model(
        init_nets=[InitNetConfig(input_name="tracks")],
        encoder=TransformerEncoder(embed_dim=8, num_layers=1, num_heads=2),
        pool_net=GlobalAttentionPooling(),
        tasks=tasks,  # type: ignore[arg-type]
        variables=VARIABLES,
        norm_dict=str(data_norm),
    )
    return LitModel(model, name="GN2")


data_norm: Path


def predict(data: tuple[Path, Path], out: Path, **writer_args: object) -> Path:
    global data_norm
    path, data_norm = data
    torch.manual_seed(0)
    dm = JetDataModule(
        train_file=str(path), val_file=str(path), test_file=str(path), variables=VARIABLES,
        norm_dict=str(data_norm), batch_size=16, num_workers=0, num_test=NUM,
    )  # fmt: skip
    target = out / "pred.h5"
    writer = PredictionWriter(output_path=str(target), **writer_args)  # type: ignore[arg-type]
    trainer = L.Trainer(
        accelerator="cpu", logger=False, callbacks=[writer], enable_progress_bar=False,
        default_root_dir=str(out), enable_model_summary=False,
    )  # fmt: skip
    trainer.test(gn2_like(), datamodule=dm, verbose=False)
    return target


def test_salt_layout_of_a_gn2_like_model(data: tuple[Path, Path], tmp_path: Path) -> None:
    pred = predict(data, tmp_path, write_tracks=True)
    with h5py.File(pred) as f, h5py.File(data[0]) as t:
        assert set(f) == {"jets", "tracks"}
        jets, tracks = f["jets"][:], f["tracks"][:]
        src_jets, src_tracks = t["jets"][:NUM], t["tracks"][:NUM]
    # jets: the test file's fields, then the outputs in task order, as salt's writer orders them
    outputs = [
        "GN2_pb", "GN2_pc", "GN2_pu", "GN2_ptau", "GN2_pt_truth", "jet_pt_gauss_pt_truth",
        "jet_pt_gauss_pt_truth_stddev",
    ]  # fmt: skip
    assert list(jets.dtype.names) == [*src_jets.dtype.names, *outputs]
    assert all(jets.dtype[n] == np.float32 for n in outputs)
    for n in src_jets.dtype.names:
        np.testing.assert_array_equal(jets[n], src_jets[n])
        assert jets.dtype[n] == (np.float32 if src_jets.dtype[n].kind == "f" else src_jets.dtype[n])
    probs = np.stack([jets[c] for c in outputs[:4]], axis=1)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    # tracks: the file's fields at the file's width, track origin, VertexIndex, mask
    origins = ["Pileup", "Fake", "Primary", "FromB", "FromBC", "FromC", "FromTau", "OtherSecondary"]
    track_out = [f"GN2_p{o}" for o in origins] + ["VertexIndex", "mask"]
    assert list(tracks.dtype.names) == [*src_tracks.dtype.names, *track_out]
    assert tracks.shape == src_tracks.shape
    assert tracks.dtype["VertexIndex"] == np.int64 and tracks.dtype["mask"] == np.bool_
    np.testing.assert_array_equal(tracks["mask"], ~src_tracks["valid"])
    np.testing.assert_array_equal(tracks["d0"], src_tracks["d0"])
    real = ~tracks["mask"]
    p = np.stack([tracks[f"GN2_p{o}"] for o in origins], axis=-1)
    np.testing.assert_allclose(p[real].sum(-1), 1.0, rtol=1e-5)
    assert (p[~real] == 0).all() and (tracks["VertexIndex"][~real] == -1).all()
    assert (tracks["VertexIndex"][real] >= 0).all()


def test_half_precision_extra_vars_and_no_tracks(data: tuple[Path, Path], tmp_path: Path) -> None:
    pred = predict(data, tmp_path, half_precision=True, extra_vars={"jets": ["pt", "flavour_label"]})
    with h5py.File(pred) as f:
        assert set(f) == {"jets"}  # tracks only with write_tracks
        jets = f["jets"][:]
    assert list(jets.dtype.names)[:2] == ["pt", "flavour_label"]
    assert jets.dtype["GN2_pb"] == np.float16
    assert jets.dtype["pt"] == np.float32  # MeV overflows float16 (salt would write inf): kept at float32
    assert jets.dtype["flavour_label"] == np.int32


def test_salt_only_options() -> None:
    with pytest.raises(ValueError, match="write_objects=true.*no mask decoder"):
        PredictionWriter(write_objects=True)


def test_object_classes_rename_the_global_classification(data: tuple[Path, Path], tmp_path: Path) -> None:
    pred = predict(data, tmp_path, object_classes=["hbb", "hcc", "top", "qcd"])
    with h5py.File(pred) as f:
        names = f["jets"].dtype.names
    assert {"GN2_phbb", "GN2_phcc", "GN2_ptop", "GN2_pqcd"} <= set(names) and "GN2_pb" not in names


def test_beside_checkpoint_writes_where_salt_writes(tmp_path: Path) -> None:
    """salt's writer puts ``<ckpt>__test_<sample>.h5`` in the checkpoint's folder (``<run>/ckpts/``)."""

    class Trainer:
        ckpt_path = str(tmp_path / "run" / "ckpts" / "epoch=001.ckpt")
        default_root_dir = str(tmp_path)

    trainer: Any = Trainer()
    assert (
        PredictionWriter().target_path(trainer, "x/ttbar.h5")
        == tmp_path / "run" / "predictions" / "epoch=001__test_ttbar.h5"
    )
    salt = PredictionWriter(beside_checkpoint=True)
    assert salt.target_path(trainer, "x/ttbar.h5") == tmp_path / "run" / "ckpts" / "epoch=001__test_ttbar.h5"
    trainer.ckpt_path = "s3://bucket/run/ckpts/last.ckpt"
    assert salt.target_path(trainer, "ttbar.h5") == "s3://bucket/run/ckpts/last__test_ttbar.h5"
