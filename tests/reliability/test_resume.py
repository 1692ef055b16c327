"""Fault tests: kill a real `halite fit` (SIGKILL mid-epoch, SIGKILL mid-checkpoint-write, SIGTERM),
resume it with `--ckpt_path last`, and compare the final weights with an uninterrupted run
(deterministic mode, CPU, one thread)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import torch

from halite.commands import main
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
    wait_for_step,
    weights,
)

#: deterministic float32 on one CPU thread: a resumed run reproduces the weights bit for bit
TOLERANCE = 0.0
LAST_STEP = 2 * BATCHES_PER_EPOCH


@pytest.fixture(scope="module")
def reference(
    tiny_data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, torch.Tensor]:
    """Final weights of the uninterrupted run (one thread, as the subprocesses: sums depend on it)."""
    torch.set_num_threads(1)  # module fixtures run before the autouse fixture of conftest
    out = tmp_path_factory.mktemp("reference")
    main(["fit", "--config", str(small_config(tiny_data, out))])
    ckpt = safe_load(the_run(out / "logs") / "ckpts" / "last.ckpt")
    assert ckpt["global_step"] == LAST_STEP
    return ckpt["state_dict"]


def resume_args(run: Path) -> list[str]:
    return ["--config", str(run / "config.yaml"), "--ckpt_path", "last"]


def sigkill_mid_epoch(cfg: Path, logs: Path) -> Path:
    """Start a run, SIGKILL it right after its first step checkpoint (step 3 of 8 in epoch 0)."""
    proc = start_fit("--config", str(cfg))
    wait_for(proc, (logs, "*/ckpts/last.ckpt"))
    assert kill(proc) == -signal.SIGKILL
    run = the_run(logs)
    step = safe_load(run / "ckpts" / "last.ckpt")["global_step"]
    assert 0 < step < LAST_STEP and step % BATCHES_PER_EPOCH, f"not killed mid-epoch: step {step}"
    return run


def sigkill_mid_write(run: Path, marker: Path) -> None:
    """Resume, and SIGKILL while last.ckpt is half rewritten (3rd save: step 6, epoch 0 best, last)."""
    before = safe_load(run / "ckpts" / "last.ckpt")["global_step"]
    proc = start_fit(*resume_args(run), wrapper=[HANG_IN_SAVE, "3", str(marker)])
    wait_for(proc, (marker.parent, marker.name))
    partial = Path(marker.read_text())
    assert partial.name.startswith(".last.ckpt.") and partial.name.endswith(".tmp")
    assert kill(proc) == -signal.SIGKILL
    # the half-written file never replaced last.ckpt: the previous complete checkpoint loads
    after = safe_load(run / "ckpts" / "last.ckpt")["global_step"]
    assert before < after < LAST_STEP
    with pytest.raises(ValueError, match=r"truncated or corrupted"):
        safe_load(partial)


def sigterm(run: Path) -> None:
    """Resume, send SIGTERM once training has progressed: a final checkpoint, exit status 143."""
    ckpt = run / "ckpts" / "last.ckpt"
    before = safe_load(ckpt)["global_step"]
    proc = start_fit(*resume_args(run))
    wait_for_step(proc, ckpt, above=before)
    assert kill(proc, signal.SIGTERM) == 143
    assert "Received SIGTERM: saved" in proc.stdout.read()  # type: ignore[union-attr]
    assert before < safe_load(ckpt)["global_step"] <= LAST_STEP


def finish_and_compare(run: Path, reference: dict[str, torch.Tensor]) -> float:
    out = run_fit(*resume_args(run))
    assert f"Resuming {run}" in out
    final = safe_load(run / "ckpts" / "last.ckpt")
    assert final["global_step"] == LAST_STEP
    diff = max_abs_diff(final["state_dict"], reference)
    print(f"resume equivalence: max abs weight difference {diff:.3g}")
    assert diff <= TOLERANCE
    return diff


def test_killed_three_ways_then_resumed_matches_uninterrupted(
    tiny_data: dict[str, Path], tmp_path: Path, reference: dict[str, torch.Tensor]
) -> None:
    """One run survives SIGKILL mid-epoch, SIGKILL mid-checkpoint-write and SIGTERM."""
    logs = tmp_path / "logs"
    run = sigkill_mid_epoch(small_config(tiny_data, tmp_path), logs)
    sigkill_mid_write(run, tmp_path / "writing")
    sigterm(run)
    finish_and_compare(run, reference)
    assert len(list(run.glob("metrics.before-*.csv"))) == 3  # earlier metrics kept, not deleted


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume(
    tiny_data: dict[str, Path], tmp_path: Path, reference: dict[str, torch.Tensor]
) -> None:
    run = sigkill_mid_epoch(small_config(tiny_data, tmp_path), tmp_path / "logs")
    finish_and_compare(run, reference)


@pytest.mark.slow
def test_sigterm_without_step_checkpoints_then_resume(
    tiny_data: dict[str, Path], tmp_path: Path, reference: dict[str, torch.Tensor]
) -> None:
    """With periodic checkpoints off, SIGTERM alone saves the state in the middle of epoch 1."""
    cfg = small_config(tiny_data, tmp_path, ckpt_every_n_steps=0)
    proc = start_fit("--config", str(cfg))
    wait_for(proc, (tmp_path / "logs", "*/ckpts/epoch=000*.ckpt"))
    assert kill(proc, signal.SIGTERM) == 143
    run = the_run(tmp_path / "logs")
    assert BATCHES_PER_EPOCH <= safe_load(run / "ckpts" / "last.ckpt")["global_step"] < LAST_STEP
    finish_and_compare(run, reference)


@pytest.mark.slow
def test_sigterm_before_training_writes_nothing(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    """SIGTERM during set-up: the run stops and leaves no checkpoint that could not resume exactly."""
    proc = start_fit(
        "--config", str(small_config(tiny_data, tmp_path)), "--trainer.num_sanity_val_steps", "-1"
    )
    wait_for(proc, (tmp_path / "logs", "*/hparams.yaml"))
    code = kill(proc, signal.SIGTERM)
    out = proc.stdout.read()  # type: ignore[union-attr]
    if "Received SIGTERM: saved" in out:  # the signal came after the first step (slow machine)
        assert code == 143, out
    else:  # before Lightning's handler (default action) or before the first step (halite's message)
        assert code == -signal.SIGTERM or (code == 143 and "before the first training step" in out), out
        assert not list((tmp_path / "logs").glob("*/ckpts/last.ckpt"))


@pytest.mark.slow
def test_weights_differ_without_resume(
    tiny_data: dict[str, Path], tmp_path: Path, reference: dict[str, torch.Tensor]
) -> None:
    """The comparison can fail: a run with another seed ends elsewhere."""
    run_fit("--config", str(small_config(tiny_data, tmp_path, seed_everything=4)))
    assert max_abs_diff(weights(the_run(tmp_path / "logs") / "ckpts" / "last.ckpt"), reference) > 1e-3
