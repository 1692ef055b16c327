"""Bad-input corpus, data side: every broken file or dict is generated here and must give an error
that names the file / dataset / variable and says what to do (never a raw h5py or torch traceback)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from halite.data.dataset import JetDataset
from halite.data.readers import expand_files
from halite.data.specs import InputSpec, LabelSpec
from halite.models.model import Model
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import GlobalAttentionPooling
from halite.nn.sets.transformer import TransformerEncoder
from halite.tasks import ClassificationTask

TRACK_VARS = ("d0", "z0SinTheta")


def specs(labels: tuple[LabelSpec, ...] = ()) -> list[InputSpec]:
    return [
        InputSpec("jets", "jets", ("pt_btagJes", "eta_btagJes"), is_global=True, labels=labels),
        InputSpec("tracks", "tracks", TRACK_VARS, max_length=40),
    ]


def read_all(files: list[Path], **kwargs: object) -> list:
    return list(JetDataset(files, specs(**kwargs), batch_size=50))  # type: ignore[arg-type]


def copy_with(
    src: Path, dst: Path, n: int = 100, edit: Callable[[np.ndarray, np.ndarray], None] | None = None
) -> Path:
    """Copy the first ``n`` jets of ``src`` to ``dst``, editing the arrays in place first."""
    with h5py.File(src) as f:
        jets, tracks = f["jets"][:n], f["tracks"][:n]
    if edit is not None:
        edit(jets, tracks)
    with h5py.File(dst, "w") as g:
        g.create_dataset("jets", data=jets)
        g.create_dataset("tracks", data=tracks)
    return dst


def drop_field(arr: np.ndarray, field: str) -> np.ndarray:
    names = [n for n in arr.dtype.names if n != field]
    out = np.empty(arr.shape, dtype=[(n, arr.dtype[n]) for n in names])
    for n in names:
        out[n] = arr[n]
    return out


def retype_field(arr: np.ndarray, field: str, dtype: str) -> np.ndarray:
    out = np.empty(arr.shape, dtype=[(n, dtype if n == field else arr.dtype[n]) for n in arr.dtype.names])
    for n in arr.dtype.names:
        out[n] = arr[n] if n != field else arr[n].astype(dtype)
    return out


def write_raw(dst: Path, **datasets: np.ndarray) -> Path:
    with h5py.File(dst, "w") as g:
        for name, data in datasets.items():
            g.create_dataset(name, data=data)
    return dst


# ---- files: (id, build(src, tmp) -> files, exception, message regex) -----------------------------


def _truncated(src: Path, tmp: Path) -> list[Path]:
    raw = src.read_bytes()
    (tmp / "cut.h5").write_bytes(raw[: len(raw) * 2 // 3])
    return [tmp / "cut.h5"]


def _nan(src: Path, tmp: Path) -> list[Path]:
    def edit(jets: np.ndarray, tracks: np.ndarray) -> None:
        tracks["d0"][5, 0] = np.nan
        tracks["d0"][7, 0] = np.inf

    return [copy_with(src, tmp / "nan.h5", edit=edit)]


def _label_map(src: Path, tmp: Path) -> list[Path]:
    return [copy_with(src, tmp / "labels.h5")]


def _text_file(src: Path, tmp: Path) -> list[Path]:
    (tmp / "a.h5").write_text("jets,pt\n1,2\n")
    return [tmp / "a.h5"]


def _empty_file(src: Path, tmp: Path) -> list[Path]:
    (tmp / "e.h5").touch()
    return [tmp / "e.h5"]


def _no_tracks(src: Path, tmp: Path) -> list[Path]:
    with h5py.File(src) as f:
        return [write_raw(tmp / "nt.h5", jets=f["jets"][:10])]


def _edited(**opts: tuple[str, str] | str) -> Callable[[Path, Path], list[Path]]:
    """A copy with a field dropped (``drop_track``) or retyped (``retype_jet``)."""

    def build(src: Path, tmp: Path) -> list[Path]:
        with h5py.File(src) as f:
            jets, tracks = f["jets"][:100], f["tracks"][:100]
        if "drop_track" in opts:
            tracks = drop_field(tracks, str(opts["drop_track"]))
        if "retype_jet" in opts:
            jets = retype_field(jets, *opts["retype_jet"])
        return [write_raw(tmp / "edited.h5", jets=jets, tracks=tracks)]

    return build


def _uneven(src: Path, tmp: Path) -> list[Path]:
    with h5py.File(src) as f:
        return [write_raw(tmp / "uneven.h5", jets=f["jets"][:100], tracks=f["tracks"][:90])]


def _one_d_tracks(src: Path, tmp: Path) -> list[Path]:
    with h5py.File(src) as f:
        return [write_raw(tmp / "flat.h5", jets=f["jets"][:100], tracks=f["tracks"][:100, 0])]


FILE_CASES: list[tuple[str, Callable[[Path, Path], list[Path]], type[Exception], str, dict]] = [
    (
        "missing file",
        lambda s, t: expand_files(str(t / "nope.h5")),
        FileNotFoundError,
        r"Input file not found: .*nope\.h5",
        {},
    ),
    (
        "glob matches nothing",
        lambda s, t: expand_files(str(t / "run*.h5")),
        FileNotFoundError,
        r"No files match the glob '.*run\*\.h5'",
        {},
    ),
    ("not an HDF5 file", _text_file, OSError, r"Cannot open .*a\.h5 as HDF5.*not an HDF5 file", {}),
    ("empty (0-byte) file", _empty_file, OSError, r"Cannot open .*e\.h5 as HDF5.*truncated", {}),
    ("truncated HDF5", _truncated, OSError, r"Cannot open .*cut\.h5 as HDF5 .*truncated", {}),
    ("missing dataset", _no_tracks, KeyError, r"nt\.h5: dataset 'tracks' .*not found.*input_map", {}),
    (
        "variable not in the file",
        _label_map,
        KeyError,
        r"variable 'nonexistent' not found in dataset 'jets'",
        {"extra_var": "nonexistent"},
    ),
    (
        "field dropped from the file",
        _edited(drop_track="d0"),
        KeyError,
        r"edited\.h5: variable 'd0' not found in dataset 'tracks'",
        {},
    ),
    (
        "wrong dtype (string)",
        _edited(retype_jet=("eta_btagJes", "S8")),
        TypeError,
        r"variable 'eta_btagJes' of dataset 'jets' has dtype \|S8, not a number",
        {},
    ),
    (
        "missing valid flag",
        _edited(drop_track="valid"),
        KeyError,
        r"constituent dataset 'tracks' has no boolean 'valid' field",
        {},
    ),
    (
        "constituents not 2D",
        _one_d_tracks,
        ValueError,
        r"flat\.h5: constituent dataset 'tracks' must be 2D",
        {},
    ),
    (
        "datasets of different lengths",
        _uneven,
        ValueError,
        r"uneven\.h5: datasets have different numbers of jets",
        {},
    ),
    (
        "file with no jets",
        lambda s, t: [copy_with(s, t / "zero.h5", n=0)],
        ValueError,
        r"No jets to read in .*zero\.h5",
        {},
    ),
    (
        "more jets requested than held",
        lambda s, t: [copy_with(s, t / "few.h5", n=20)],
        ValueError,
        r"Requested 50 jets but .*few\.h5.* hold only 20",
        {"num_jets": 50},
    ),
    (
        "NaN/inf inputs",
        _nan,
        ValueError,
        r"nan\.h5: non-finite \(NaN/inf\) values in stream 'tracks': \{'d0': 2\}.*non_finite: replace",
        {},
    ),
    (
        "label outside the label map",
        _label_map,
        ValueError,
        r"labels\.h5: label 'HadronConeExclTruthLabelID' of stream 'jets' has values \[4\] that are not in the label map",
        {"labels": (LabelSpec("HadronConeExclTruthLabelID", "class", {5: 0, 0: 1}, 2),)},
    ),
    (
        "label outside the classes",
        _label_map,
        ValueError,
        r"label 'flavour_label' .* values \[2\] outside the classes 0\.\.1.*label_map",
        {"labels": (LabelSpec("flavour_label", "class", None, 2),)},
    ),
]


@pytest.mark.parametrize(
    ("case", "build", "exc", "match", "opts"), FILE_CASES, ids=[c[0] for c in FILE_CASES]
)
def test_bad_file(
    case: str,
    build: Callable[[Path, Path], list[Path]],
    exc: type[Exception],
    match: str,
    opts: dict,
    tiny_data: dict[str, Path],
    tmp_path: Path,
) -> None:
    src = tiny_data["test"]
    with pytest.raises(exc, match=match):
        files = build(src, tmp_path)
        sp = specs(labels=opts.get("labels", ()))
        if "extra_var" in opts:
            sp[0] = InputSpec("jets", "jets", ("pt_btagJes", opts["extra_var"]), is_global=True)
        list(JetDataset(files, sp, batch_size=50, num_jets=opts.get("num_jets", -1)))


def test_non_finite_replace_reports_counts(
    tiny_data: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (path,) = _nan(tiny_data["test"], tmp_path)
    ds = JetDataset([path], specs(), batch_size=100, non_finite="replace", non_finite_value=-5.0)
    with caplog.at_level(logging.WARNING, logger="halite.data.dataset"):
        (batch,) = list(ds)
    assert batch.inputs["tracks"][5, 0, 0] == -5.0 and batch.inputs["tracks"][7, 0, 0] == -5.0
    assert torch.isfinite(batch.inputs["tracks"]).all()
    assert (
        "nan.h5: replaced non-finite (NaN/inf) inputs with -5.0 in jets 0:100: {'tracks.d0': 2}"
        in caplog.text
    )


# ---- all-padding jets: not an error; the model must stay finite ------------------------------------


def test_all_padding_jets_train_finite(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    def edit(jets: np.ndarray, tracks: np.ndarray) -> None:
        tracks["valid"][:50] = False  # half the jets have no tracks at all

    path = copy_with(tiny_data["test"], tmp_path / "empty_sets.h5", edit=edit)
    labels = (LabelSpec("flavour_label", "class", None, 3),)
    sp = specs(labels=labels)
    sp[1] = InputSpec(
        "tracks",
        "tracks",
        TRACK_VARS,
        max_length=40,
        labels=(LabelSpec("ftagTruthOriginLabel", "class", None, 8),),
    )
    batches = list(JetDataset([path], sp, batch_size=50))
    assert batches[0].pad_masks["tracks"].all()  # the first batch is all padding
    norm = yaml.safe_load(tiny_data["norm_dict"].read_text())
    model = Model(
        init_nets=[InitNetConfig("tracks")],
        encoder=TransformerEncoder(embed_dim=8, num_layers=1, num_heads=2),
        pool_net=GlobalAttentionPooling(),
        tasks=[
            ClassificationTask("jets_classification", "jets", "flavour_label"),
            ClassificationTask("track_origin", "tracks", "ftagTruthOriginLabel"),
        ],
        variables={"jets": ["pt_btagJes", "eta_btagJes"], "tracks": list(TRACK_VARS)},
        norm_dict=norm,
    )
    for batch in batches:
        outputs, losses = model(batch.inputs, batch.pad_masks, batch.labels)
        loss = model.total_loss(losses)
        loss.backward()
        assert torch.isfinite(loss)
        assert all(torch.isfinite(o).all() for o in outputs.values())
        assert all(p.grad is None or torch.isfinite(p.grad).all() for p in model.parameters())
