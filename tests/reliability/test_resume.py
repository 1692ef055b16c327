"""Fault tests: kill a real `halite fit` (SIGKILL mid-epoch, mid-checkpoint-write; SIGTERM), resume it
with `--ckpt_path last`, and compare the final weights with an uninterrupted run (deterministic CPU)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import torch

from halite.cli import main
from halite.training.checkpoint_io import safe_load
from tests.reliability.runs import (
    BATCHES_PER_EPOCH,
    HANG_IN_SAVE,
    kill,
    max_abs_diff,
    run_fit,
    small_config,
    start_fit,
    the_run,
    wait_for,
    weights,
)

#: float32 CPU in deterministic mode: a resumed run must reproduce the weights bit for bit
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def reference(tiny_data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, torch.Tensor]:
    """Final weights of the uninterrupted run (one thread, as the subprocesses: sums depend on it)."""
    torch.set_num_threads(1)  # module fixtures run before the autouse fixture of conftest
    out = tmp_path_factory.mktemp("reference")
    main(["fit", "--config", str(small_config(tiny_data, out))])
    run = the_run(out / "logs")
    ckpt = safe_load(run / "ckpts" / "last.ckpt")
    assert ckpt["global_step"] == 2 * BATCHES_PER_EPOCH
    return ckpt["state_dict"]


def resume_and_compare(run: Path, reference: dict[str, torch.Tensor]) -> float:
    out = run_fit("--config", str(run / "config.yaml"), "--ckpt_path", "last")
    assert f"Resuming {run}" in out
    final = safe_load(run / "ckpts" / "last.ckpt")
    assert final["global_step"] == 2 * BATCHES_PER_EPOCH
    diff = max_abs_diff(final["state_dict"], reference)
    print(f"resume equivalence: max abs weight difference {diff:.3g}")
    assert diff <= TOLERANCE
    return diff


def test_sigkill_mid_epoch_then_resume(
    tiny_data: dict[str, Path], tmp_path: Path, reference: dict[str, torch.Tensor]
) -> None:
    cfg = small_config(tiny_data, tmp_path)
    proc = start_fit("--config", str(cfg))
    wait_for(proc, (tmp_path / "logs", "*/ckpts/last.ckpt"))
    assert kill(proc) == -signal.SIGKILL
    run = the_run(tmp_path / "logs")
    step = safe_load(run / "ckpts" / "last.ckpt")["global_step"]
    print(f"killed at step {step}")
    assert 0 < step < 2 * BATCHES_PER_EPOCH and step % BATCHES_PER_EPOCH, f"not mid-epoch: step {step}"
    resume_and_compare(run, reference)


def test_sigkill_mid_checkpoint_write_keeps_previous(
    tiny_data: dict[str, Path], tmp_path: Path, reference: dict[str, torch.Tensor]
) -> None:
    cfg = small_config(tiny_data, tmp_path)
    marker = tmp_path / "writing"
    proc = start_fit("--config", str(cfg), wrapper=[HANG_IN_SAVE, "2", str(marker)])
    wait_for(proc, (tmp_path, "writing"))
    partial = Path(marker.read_text())
    assert partial.name.endswith(".tmp") and partial.stat().st_size > 0
    assert kill(proc) == -signal.SIGKILL
    run = the_run(tmp_path / "logs")
    # the half-written file never replaced last.ckpt: the previous complete checkpoint loads
    assert safe_load(run / "ckpts" / "last.ckpt")["global_step"] == 3
    with pytest.raises(ValueError, match=r"truncated or corrupted"):
        safe_load(partial)
    resume_and_compare(run, reference)


def test_sigterm_writes_final_checkpoint_then_resume(
    tiny_data: dict[str, Path], tmp_path: Path, reference: dict[str, torch.Tensor]
) -> None:
    cfg = small_config(tiny_data, tmp_path, ckpt_every_n_steps=0)
    proc = start_fit("--config", str(cfg), "--trainer.max_epochs", "2")
    run_logs = tmp_path / "logs"
    wait_for(proc, (run_logs, "*/metrics.csv"))  # training has started
    assert kill(proc, signal.SIGTERM) == 143
    output = proc.stdout.read()  # type: ignore[union-attr]
    assert "Received SIGTERM: saved" in output
    run = the_run(run_logs)
    step = safe_load(run / "ckpts" / "last.ckpt")["global_step"]
    assert 0 < step < 2 * BATCHES_PER_EPOCH
    resume_and_compare(run, reference)


def test_weights_differ_without_resume(
    tiny_data: dict[str, Path], tmp_path: Path, reference: dict[str, torch.Tensor]
) -> None:
    """The comparison can fail: a run with another seed ends elsewhere."""
    cfg = small_config(tiny_data, tmp_path, seed_everything=4)
    run_fit("--config", str(cfg))
    assert max_abs_diff(weights(the_run(tmp_path / "logs") / "ckpts" / "last.ckpt"), reference) > 1e-3
