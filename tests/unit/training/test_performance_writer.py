"""PerformanceWriter: add_metrics checked at setup, salt's std_out / stdOut spellings, the JSON lines."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from lightning.pytorch.callbacks import LearningRateMonitor

from halite.tasks import ClassificationTask
from halite.training.callbacks.performance_writer import PerformanceWriter, read_performance


def module() -> SimpleNamespace:
    tasks = [ClassificationTask("jets_classification", "jets", "flavour_label")]
    return SimpleNamespace(model=SimpleNamespace(task_heads=lambda: tasks))


def trainer(tmp_path: Path, callbacks: list | None = None, **metrics: float) -> SimpleNamespace:
    return SimpleNamespace(
        callbacks=callbacks or [],
        log_dir=str(tmp_path),
        default_root_dir=str(tmp_path),
        optimizers=[torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))])],
        callback_metrics={k: torch.tensor(v) for k, v in metrics.items()},
        current_epoch=0,
        global_step=10,
        sanity_checking=False,
        is_global_zero=True,
    )


def test_unknown_metric_fails_at_setup_naming_valid_ones(tmp_path: Path) -> None:
    writer = PerformanceWriter(add_metrics=["val/jets_clasification_loss"])
    with pytest.raises(
        ValueError,
        match=r"add_metrics \['val/jets_clasification_loss'\] are not logged.*'val/jets_classification_loss'",
    ):
        writer.setup(trainer(tmp_path), module(), "fit")  # type: ignore[arg-type]
    # lr-* needs a LearningRateMonitor, and then an optimizer of that name
    with pytest.raises(ValueError, match=r"\['lr-AdamW'\] are not logged"):
        PerformanceWriter(add_metrics=["lr-AdamW"]).setup(trainer(tmp_path), module(), "fit")  # type: ignore[arg-type]
    t = trainer(tmp_path, [LearningRateMonitor()])
    PerformanceWriter(add_metrics=["lr-AdamW"]).setup(t, module(), "fit")  # type: ignore[arg-type]
    writer = PerformanceWriter(add_metrics=["lr-SGD"])
    writer.setup(t, module(), "fit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\['lr-SGD'\] name no configured optimizer.*\['lr-AdamW'\]"):
        writer.on_train_start(t, module())  # type: ignore[arg-type]


def test_salt_spellings_of_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert PerformanceWriter(std_out=True).stdout and PerformanceWriter(stdOut=True).stdout
    assert not PerformanceWriter(stdOut=False).stdout and PerformanceWriter(stdout=True).stdout
    with pytest.raises(ValueError, match="disagree"):
        PerformanceWriter(stdout=True, stdOut=False)
    # salt's val/loss is halite's val_loss
    writer = PerformanceWriter(add_metrics=["val/loss", "val/jets_classification_loss"], stdOut=True)
    t = trainer(tmp_path, train_loss_epoch=0.5, val_loss=0.25, **{"val/jets_classification_loss": 0.125})
    writer.setup(t, module(), "fit")  # type: ignore[arg-type]
    writer.on_train_epoch_end(t, module())  # type: ignore[arg-type]
    (record,) = read_performance(tmp_path / "performance.json")
    assert record == {
        "epoch": 0, "step": 10, "train_loss": 0.5, "val_loss": 0.25, "val/jets_classification_loss": 0.125,
    }  # fmt: skip
    assert "val_jets_classification_loss=0.125" in capsys.readouterr().out
