"""The timed side of ``bench/vs_salt.py``: one framework's ``fit`` then ``test`` in this process.

Run by ``vs_salt.py`` with either Python (``bench/.venv-salt``'s for salt, halite's own for halite):
``python bench/vs_salt_worker.py {salt,halite} CONFIG_JSON`` prints one ``RESULT {...}`` line. Imports
only the standard library at module level, so both interpreters and the unit tests can load it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def eval_args(
    run_config: str | os.PathLike[str],
    test_file: str | os.PathLike[str],
    *,
    num_test: int,
    batch_size: int,
    workers: int,
) -> list[str]:
    """``test`` arguments for a finished run (its saved ``config.yaml``; the best checkpoint is picked)."""
    return [
        "test",
        f"--config={run_config}",
        f"--data.test_file={test_file}",
        f"--data.num_test={num_test}",
        f"--data.batch_size={batch_size}",
        f"--data.num_workers={workers}",
    ]


def find_run_config(root: str | os.PathLike[str]) -> Path:
    """The one ``<root>/<run>/config.yaml`` a fit wrote."""
    found = sorted(Path(root).glob("*/config.yaml"))
    if len(found) != 1:
        msg = f"expected one run directory with a config.yaml under {root}; found {[str(f) for f in found]}."
        raise RuntimeError(msg)
    return found[0]


def batch_parts(batch: Any) -> tuple[dict, dict, dict]:
    """``(inputs, pad_masks, labels)`` of a salt batch (a tuple) or a halite ``Batch``."""
    if isinstance(batch, tuple | list):
        inputs, masks, labels = batch
        return inputs, masks, labels or {}
    return batch.inputs, batch.pad_masks, batch.labels


def batch_digest(batch: Any) -> dict[str, int]:
    """Which jets a batch holds, comparable across frameworks: jets, valid tracks, sum of flavour labels."""
    inputs, masks, labels = batch_parts(batch)
    return {
        "jets": len(inputs["jets"]),
        "valid_tracks": int((~masks["tracks"]).sum()),
        "flavour_sum": int(labels["jets"]["flavour_label"].sum()),
    }


def parameter_counts(module: Any) -> dict[str, int]:
    """Parameters in all, in LayerNorm / RMSNorm layers, and per child of the wrapped network (``module.model``)."""
    inner = getattr(module, "model", module)
    counts = {"total": sum(p.numel() for p in module.parameters())}
    counts["norm layers"] = sum(
        p.numel()
        for m in module.modules()
        if type(m).__name__ in ("LayerNorm", "RMSNorm")
        for p in m.parameters(recurse=False)
    )
    for name, child in inner.named_children():
        counts[f"model.{name}"] = sum(p.numel() for p in child.parameters())
    return counts


def weighted_task_losses(module: Any, losses: Mapping[str, Any], total: float) -> dict[str, float]:
    """Each task's term of the total loss, its task ``weight`` applied.

    salt's tasks return weighted losses, halite's return them unweighted (``total_loss`` weighs them):
    the weights of ``module``'s tasks are applied unless the terms already add up to ``total``.
    """
    terms = {k: float(v) for k, v in losses.items() if k != "loss"}
    if abs(sum(terms.values()) - total) <= 1e-4 * max(1.0, abs(total)):
        return terms
    weights = {
        m.name: float(m.weight)
        for m in module.modules()
        if isinstance(getattr(m, "name", None), str) and isinstance(getattr(m, "weight", None), int | float)
    }
    return {k: v * weights.get(k, 1.0) for k, v in terms.items()}


def make_timer() -> Any:
    """A Lightning callback recording jets/s (after the first batch), losses and parameters."""
    import torch
    from lightning.pytorch.callbacks import Callback

    def loss_of(outputs: Any) -> float:
        value = outputs["loss"] if isinstance(outputs, Mapping) else outputs
        return float(torch.as_tensor(value).detach())

    class Timer(Callback):
        def __init__(self) -> None:
            self.out: dict[str, Any] = {}
            self.marks: dict[str, list] = {}

        def _mark(self, stage: str, batch: Any, batch_idx: int) -> None:
            if torch.cuda.is_available() and torch.cuda.is_initialized():
                torch.cuda.synchronize()  # the step's kernels are done before the clock is read
            now = (time.perf_counter(), time.process_time())
            if batch_idx == 0:
                self.marks[stage] = [now, now, 0]
            else:
                self.marks[stage][1] = now
                self.marks[stage][2] += batch_digest(batch)["jets"]

        def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
            self.out["params"] = parameter_counts(pl_module)
            # salt's attention modules say which backend they run (flash-varlen reverts to torch-math on CPU)
            self.out["attn_types"] = sorted(
                {str(m.attn_type) for m in pl_module.modules() if hasattr(m, "attn_type")}
            )

        def on_validation_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                                    batch_idx: int, dataloader_idx: int = 0) -> None:  # fmt: skip
            if trainer.sanity_checking and batch_idx == 0 and "init_loss" not in self.out:
                self.out["init_loss"] = loss_of(outputs)
                self.out["init_batch"] = batch_digest(batch)
                if isinstance(outputs, Mapping):  # salt's step returns each task's (weighted) term
                    terms = {k: loss_of(v) for k, v in outputs.items() if k not in ("loss", "outputs")}
                else:  # halite's returns the total: the terms of the same batch again, without grad
                    with torch.no_grad():
                        _, losses = pl_module(batch)
                    terms = weighted_task_losses(pl_module, losses, self.out["init_loss"])
                self.out["init_task_losses"] = terms

        def on_train_batch_end(
            self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
        ) -> None:
            if batch_idx == 0:
                self.out["first_train_loss"] = loss_of(outputs)
            self._mark("train", batch, batch_idx)

        def on_test_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                              batch_idx: int, dataloader_idx: int = 0) -> None:  # fmt: skip
            self._mark("test", batch, batch_idx)

        def rates(self) -> dict[str, float]:
            out = {}
            for stage, ((w0, c0), (w1, c1), jets) in self.marks.items():
                out[stage] = jets / (w1 - w0) if jets else float("nan")
                out[f"{stage}_cpu"] = jets / (c1 - c0) if jets else float("nan")
            return out

    return Timer()


def attach_to_every_trainer(callback: Any) -> None:
    """Add ``callback`` to each Trainer built in this process (salt's and halite's CLI build their own)."""
    from lightning.pytorch.trainer.connectors.callback_connector import _CallbackConnector

    original = _CallbackConnector.on_trainer_init

    def on_trainer_init(self: Any, callbacks: Any, *args: Any, **kwargs: Any) -> None:
        cbs = [] if callbacks is None else list(callbacks) if isinstance(callbacks, list) else [callbacks]
        original(self, [*cbs, callback], *args, **kwargs)

    _CallbackConnector.on_trainer_init = on_trainer_init  # type: ignore[method-assign]


def entry_point(framework: str) -> Callable[[list[str]], Any]:
    """The framework's own command line: ``salt.main.main`` or ``halite.commands.main``."""
    if framework == "salt":
        from salt.main import main as salt_main

        return salt_main
    sys.path.insert(0, str(ROOT))
    from halite.commands import main as halite_main

    return halite_main


def worker(framework: str, cfg: dict) -> dict:
    """One rep: ``<framework> fit`` then ``<framework> test`` in this process, timed."""
    import importlib.metadata as md

    import torch

    torch.set_num_threads(cfg["threads"])
    timer = make_timer()
    attach_to_every_trainer(timer)
    main = entry_point(framework)
    out: dict[str, Any] = {"torch": torch.__version__, "lightning": md.version("lightning")}
    if framework == "salt":
        out["salt"] = md.version("salt-ml")
    t0 = time.perf_counter()
    rc = main(cfg["fit_args"])
    out["fit_wall"] = time.perf_counter() - t0
    if rc:
        msg = f"{framework} fit exited with status {rc}"
        raise RuntimeError(msg)
    out["rss_fit"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if torch.cuda.is_available():  # peak GPU memory of each command (MiB)
        out["cuda_fit"] = torch.cuda.max_memory_allocated() / 2**20
        torch.cuda.reset_peak_memory_stats()
    run_config = find_run_config(cfg["root_dir"])
    t0 = time.perf_counter()
    rc = main(eval_args(run_config, cfg["test_file"], **cfg["test_kwargs"]))
    out["test_wall"] = time.perf_counter() - t0
    if rc:
        msg = f"{framework} test exited with status {rc}"
        raise RuntimeError(msg)
    out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if torch.cuda.is_available():
        out["cuda_test"] = torch.cuda.max_memory_allocated() / 2**20
    return {**out, **timer.out, **timer.rates()}


if __name__ == "__main__":
    result = worker(sys.argv[1], json.loads(sys.argv[2]))
    print("RESULT " + json.dumps(result), flush=True)
