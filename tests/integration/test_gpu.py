"""The CUDA path (``pytest -m gpu`` on a machine with a GPU; skipped without one).

GN2 (``configs/GN2.yaml``) trains a few steps on the device with bf16 autocast and fused AdamW, pinned
batches copied without blocking; the loss stays finite and the packed computation (valid
constituents only) gives the loss and gradients of the padded one. ``HALITE_GPU_TEST_DEVICE=cpu``
runs the same checks on a CPU (bf16 autocast there too), to try the test where no GPU is at hand.
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

import pytest
import torch

from halite.commands._build import build_from_config
from tests.conftest import tiny_config

DEVICE = os.environ.get("HALITE_GPU_TEST_DEVICE", "cuda")

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(DEVICE == "cuda" and not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def gn2(data: dict[str, Path], out: Path) -> tuple[Any, Any]:
    """GN2's LitModel on ``DEVICE`` and a few of its training batches (pinned where CUDA pins)."""
    cfg = tiny_config("GN2.yaml", data, out, batch_size=50)
    cli = build_from_config(
        ["--config", str(cfg), f"--trainer.accelerator={DEVICE}", "--trainer.precision=32"]
    )
    cli.datamodule.require_labels(cli.model.model.required_labels())
    loader = cli.datamodule.train_dataloader()
    assert loader.pin_memory == (DEVICE == "cuda")  # data.pin_memory: on by default with CUDA
    batches = [b.to(DEVICE, non_blocking=True) for _, b in zip(range(4), loader, strict=False)]
    return cli.model.to(DEVICE), batches


def loss_and_grads(lit: Any, batch: Any, autocast: bool) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    lit.zero_grad()
    with torch.autocast(DEVICE, dtype=torch.bfloat16, enabled=autocast):
        _, losses = lit(batch)
        loss = lit.model.total_loss(losses)
    loss.backward()
    return loss.detach().float(), {
        n: p.grad.float().clone() for n, p in lit.named_parameters() if p.grad is not None
    }


def test_gn2_trains_with_bf16_autocast_and_fused_adamw(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    lit, batches = gn2(tiny_data, tmp_path)
    lit.train()
    opt = torch.optim.AdamW(lit.parameters(), lr=1e-3, fused=True)
    losses = []
    for batch in batches:
        loss, _ = loss_and_grads(lit, batch, autocast=True)
        opt.step()
        losses.append(loss.item())
    assert all(math.isfinite(v) for v in losses), losses
    assert all(p.isfinite().all() for p in lit.parameters())
    assert next(lit.parameters()).device.type == torch.device(DEVICE).type


def test_gn2_packed_equals_padded_on_the_device(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    lit, batches = gn2(tiny_data, tmp_path)
    lit.train()
    padded = copy.deepcopy(lit)
    padded.model.packed = False
    padded.model.encoder.packed = False
    batch = batches[0]
    assert bool(batch.pad_masks["tracks"].any())  # packing drops real work on this batch
    torch.manual_seed(0)
    loss, grads = loss_and_grads(lit, batch, autocast=False)
    torch.manual_seed(0)
    ref_loss, ref_grads = loss_and_grads(padded, batch, autocast=False)
    assert abs(loss.item() - ref_loss.item()) <= 1e-4 * max(1.0, abs(ref_loss.item()))
    assert grads.keys() == ref_grads.keys()
    for name, grad in grads.items():
        torch.testing.assert_close(grad, ref_grads[name], atol=1e-4, rtol=1e-3, msg=name)
    # bf16 autocast: both paths round the same matmuls, to about bf16's precision
    loss16, _ = loss_and_grads(lit, batch, autocast=True)
    ref16, _ = loss_and_grads(padded, batch, autocast=True)
    assert math.isfinite(loss16.item())
    assert abs(loss16.item() - ref16.item()) <= 3e-2 * max(1.0, abs(ref16.item()))
