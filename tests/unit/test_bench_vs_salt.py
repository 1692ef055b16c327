"""The pure helpers of ``bench/vs_salt.py`` and its worker (no salt needed; the numbers come from the bench)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from bench import vs_salt
from bench.vs_salt_worker import (
    batch_digest,
    eval_args,
    find_run_config,
    make_timer,
    parameter_counts,
    weighted_task_losses,
)
from halite.compat import is_salt_config
from halite.io import read_yaml
from halite.typing import Batch

PATHS = {"train": "/d/train.h5", "norm_dict": "/d/norm.yaml", "class_dict": "/d/class.yaml"}


def fit_args(**kw: object) -> list[str]:
    sizes = {"num_train": 600, "num_val": 200, "batch_size": 100, "workers": 0, **kw}
    return vs_salt.shared_args("/c/GN2.yaml", PATHS, "/runs/r0", **sizes)  # type: ignore[arg-type]


def test_the_bench_runs_salts_own_gn2_config() -> None:
    cfg = read_yaml(vs_salt.SALT_CONFIG)
    assert is_salt_config(cfg)
    assert cfg["model"]["model"]["class_path"] == "salt.models.SaltModel"
    for stream, names in cfg["data"]["variables"].items():  # the norm dict covers what it reads
        assert set(names) <= set(vs_salt.VARIABLES[stream]), stream


def test_shared_args_are_salts_test_pipeline_overrides_sized() -> None:
    args = fit_args()
    assert args[:2] == ["fit", "--config=/c/GN2.yaml"]
    assert all(a.startswith("--") for a in args[1:])
    expected = {
        "--data.train_file=/d/train.h5", "--data.val_file=/d/train.h5", "--data.norm_dict=/d/norm.yaml",
        "--data.class_dict=/d/class.yaml", "--data.num_train=600", "--data.num_val=200",
        "--data.batch_size=100", "--data.num_workers=0", "--trainer.max_epochs=1",
        "--trainer.accelerator=cpu", "--trainer.devices=1", "--trainer.precision=32",
        "--trainer.default_root_dir=/runs/r0", "--trainer.logger.init_args.online=False",
    }  # fmt: skip
    assert set(args[2:]) == expected


def test_shared_args_extra_overrides_go_last_and_bad_ones_are_refused() -> None:
    args = fit_args(precision="bf16-mixed", extra=["model.model.init_args.encoder.init_args.num_layers=1"])
    assert "--trainer.precision=bf16-mixed" in args
    assert args[-1] == "--model.model.init_args.encoder.init_args.num_layers=1"
    for bad in ("--data.num_workers=2", "data.num_workers"):
        with pytest.raises(ValueError, match="KEY=VALUE"):
            fit_args(extra=[bad])


def test_eval_args_test_the_saved_run_config() -> None:
    args = eval_args("/runs/r0/GN2_1/config.yaml", "/d/test.h5", num_test=50, batch_size=10, workers=1)
    assert args == [
        "test", "--config=/runs/r0/GN2_1/config.yaml", "--data.test_file=/d/test.h5", "--data.num_test=50",
        "--data.batch_size=10", "--data.num_workers=1",
    ]  # fmt: skip


def test_find_run_config_needs_exactly_one_run(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="expected one run directory"):
        find_run_config(tmp_path)
    (tmp_path / "GN2_a").mkdir()
    (tmp_path / "GN2_a" / "config.yaml").write_text("name: GN2\n")
    assert find_run_config(tmp_path) == tmp_path / "GN2_a" / "config.yaml"
    (tmp_path / "GN2_b").mkdir()
    (tmp_path / "GN2_b" / "config.yaml").write_text("name: GN2\n")
    with pytest.raises(RuntimeError, match="GN2_b"):
        find_run_config(tmp_path)


def test_make_data_gives_salt_gn2_four_classes_with_taus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import h5py
    import numpy as np

    monkeypatch.setattr(vs_salt, "DATA", tmp_path)
    plain = vs_salt.make_data(300, 50)
    paths = vs_salt.make_data(300, 50, taus=True)
    assert paths["train"] != plain["train"] and paths["train"].name == "vs_salt_train_300_taus.h5"
    with h5py.File(paths["train"]) as f, h5py.File(plain["train"]) as g:
        assert list(f["jets"].attrs["flavour_label"]) == ["bjets", "cjets", "ujets", "taus"]
        taus, plain_counts = np.bincount(f["jets"]["flavour_label"]), np.bincount(g["jets"]["flavour_label"])
    assert len(plain_counts) == 3 and len(taus) == 4 and taus[3] > 0
    assert taus[2] + taus[3] == plain_counts[2] and (taus[:2] == plain_counts[:2]).all()  # only light jets
    classes = read_yaml(paths["class_dict"])
    assert len(classes["jets"]["flavour_label"]) == 4 and len(classes["tracks"]["ftagTruthOriginLabel"]) == 8
    assert set(read_yaml(paths["norm_dict"])["tracks"]) == set(vs_salt.VARIABLES["tracks"])


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"name: GN2\n")
    assert vs_salt.file_sha256(path) == hashlib.sha256(b"name: GN2\n").hexdigest()


def _batches() -> tuple[tuple[dict, dict, dict], Batch]:
    g = torch.Generator().manual_seed(0)
    inputs = {"jets": torch.randn(4, 2, generator=g), "tracks": torch.randn(4, 5, 3, generator=g)}
    masks = {"tracks": torch.tensor([[False] * k + [True] * (5 - k) for k in (5, 3, 1, 0)])}
    labels = {"jets": {"flavour_label": torch.tensor([0, 3, 2, 2])}}
    return (inputs, masks, labels), Batch(inputs=inputs, pad_masks=masks, labels=labels)


def test_batch_digest_is_the_same_for_a_salt_tuple_and_a_halite_batch() -> None:
    salt_batch, halite_batch = _batches()
    expected = {"jets": 4, "valid_tracks": 9, "flavour_sum": 7}
    assert batch_digest(salt_batch) == batch_digest(halite_batch) == expected


def test_parameter_counts_split_norm_layers_and_blocks() -> None:
    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = torch.nn.Module()
            self.model.encoder = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
            self.model.head = torch.nn.Linear(4, 2)

    counts = parameter_counts(Wrapper())
    assert counts == {"total": 16 + 8 + 10, "norm layers": 8, "model.encoder": 24, "model.head": 10}
    salt_like = torch.nn.Sequential(torch.nn.LayerNorm(4, elementwise_affine=False))
    assert parameter_counts(salt_like)["norm layers"] == 0


def test_weighted_task_losses_weigh_halite_terms_and_keep_salt_ones() -> None:
    class Task(torch.nn.Module):
        def __init__(self, name: str, weight: float) -> None:
            super().__init__()
            self.name, self.weight = name, weight

    model = torch.nn.ModuleList([Task("jets", 1.0), Task("tracks", 0.5)])
    unweighted = {"jets": torch.tensor(1.0), "tracks": torch.tensor(2.0)}  # halite: total_loss weighs them
    assert weighted_task_losses(model, unweighted, 2.0) == {"jets": 1.0, "tracks": 1.0}
    weighted = {"jets": torch.tensor(1.0), "tracks": torch.tensor(1.0), "loss": torch.tensor(2.0)}  # salt
    assert weighted_task_losses(model, weighted, 2.0) == {"jets": 1.0, "tracks": 1.0}


def test_timer_rates_skip_the_warm_up_batch_and_keep_the_first_losses() -> None:
    timer = make_timer()
    _, batch = _batches()
    for i in range(3):
        timer.on_train_batch_end(None, None, {"loss": torch.tensor(2.0 + i)}, batch, i)
    rates = timer.rates()
    assert timer.out["first_train_loss"] == 2.0
    assert timer.marks["train"][2] == 8  # two timed batches of four jets
    assert rates["train"] > 0 and rates["train_cpu"] > 0
    assert "test" not in rates


def _result(scale: float) -> dict:
    return {
        "train": 100.0 * scale, "test": 400.0 * scale, "train_cpu": 50.0 * scale, "test_cpu": 200.0 * scale,
        "fit_wall": 10.0, "test_wall": 5.0, "rss_fit": 900.0, "rss": 1000.0 * scale,
        "params": {"total": 1000, "norm layers": 0, "model.encoder": 800, "model.tasks": 200},
        "init_loss": 3.0, "first_train_loss": 3.1, "attn_types": ["torch-math"], "init_batch": {"jets": 100, "valid_tracks": 900, "flavour_sum": 150},
    }  # fmt: skip


def test_medians_over_reps() -> None:
    med = vs_salt.medians([_result(1.0), _result(3.0), _result(2.0)])
    assert med["train"] == 200.0
    assert med["params"]["total"] == 1000


def test_format_table_shows_both_sides_ratios_and_the_model() -> None:
    salt, halite = _result(1.0), _result(2.0)
    halite["params"] = {**halite["params"], "total": 1512, "norm layers": 512}
    salt["init_task_losses"], halite["init_task_losses"] = {"track_vertexing": 2.0}, {"track_vertexing": 1.0}
    table = vs_salt.format_table(salt, halite)
    lines = table.splitlines()
    assert lines[0].split() == ["median", "salt", "halite", "halite/salt"]
    train = next(ln for ln in lines if ln.startswith("training      [jets/s]"))
    assert train.split()[-3:] == ["100.0", "200.0", "2.00x"]
    params = next(ln for ln in lines if ln.startswith("parameters"))
    assert params.split()[1:] == ["1,000", "1,512", "+512"]
    assert "the same jets" in table
    assert next(ln for ln in lines if "track_vertexing" in ln).split() == [
        "track_vertexing",
        "2.0000",
        "1.0000",
        "0.50x",
    ]
    assert "salt parameters by block: encoder 800, tasks 200" in table
    assert "attn_type: torch-math" in table
    halite["init_batch"] = {**halite["init_batch"], "flavour_sum": 151}
    assert "DIFFERENT jets" in vs_salt.format_table(salt, halite)
    halite.pop("init_loss")
    assert "nan" in vs_salt.format_table(salt, halite)
