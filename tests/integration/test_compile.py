"""`halite fit --compile`: the checkpoint of a compiled model tests, loads and exports like an eager one."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from halite.cli import HaliteCLI
from halite.commands import main
from halite.data.datamodule import JetDataModule
from halite.training.module import LitModel
from tests.conftest import tiny_config


def test_compiled_fit_test_export(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path, num_train=200, num_val=100, num_test=100)
    # the fast tracing backend keeps this test short; inductor is the default (bench/compile.py)
    main(["fit", "--config", str(cfg), "--compile", "--model.compile_config.backend=eager"])
    (run_dir,) = list((tmp_path / "logs").iterdir())
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["compile"] is True  # linked to model.compile
    ckpt = torch.load(run_dir / "ckpts" / "last.ckpt", weights_only=False)
    assert not [k for k in ckpt["state_dict"] if "_orig_mod" in k]

    # test from the saved config with an eager model: the state dict loads strictly
    main(["test", "--config", str(run_dir / "config.yaml"), "--no_compile"])
    (pred,) = list((run_dir / "predictions").glob("*.h5"))
    with h5py.File(pred) as f:
        probs = np.stack([f["jets"][f"demo_p{c}"] for c in "bcu"], axis=1)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)

    # export the reloaded eager network with torch.export and check it against eager outputs
    for key in ("ckpt_path", "weights_only"):
        saved.pop(key, None)
    saved["compile"] = False
    (tmp_path / "eager.yaml").write_text(yaml.safe_dump(saved))
    cli = HaliteCLI(LitModel, JetDataModule, args=["--config", str(tmp_path / "eager.yaml")], run=False)
    lit = cli.model
    lit.load_state_dict(ckpt["state_dict"])
    net = lit.model.eval()
    dm = cli.datamodule
    dm.require_labels(net.required_labels())
    batch = next(iter(dm.test_dataloader()))
    with torch.no_grad():
        expected, _ = net(batch.inputs, batch.pad_masks)
    exported = torch.export.export(net, (batch.inputs, batch.pad_masks), strict=False)
    got, _ = exported.module()(batch.inputs, batch.pad_masks)
    for name, value in expected.items():
        torch.testing.assert_close(got[name], value)


@pytest.mark.slow
def test_inductor_compiled_fit(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path, num_train=200, num_val=100)
    main(["fit", "--config", str(cfg), "--compile"])
    (run_dir,) = list((tmp_path / "logs").iterdir())
    ckpt = torch.load(run_dir / "ckpts" / "last.ckpt", weights_only=False)
    assert not [k for k in ckpt["state_dict"] if "_orig_mod" in k]
