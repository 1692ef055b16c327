"""muP: `halite mup-setup` (+ --check) on a tiny config, then a muP fit; errors for bad set-ups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from mup import MuReadout

from halite.cli import HaliteCLI
from halite.commands import main
from halite.data.datamodule import JetDataModule
from halite.training.module import LitModel
from tests.conftest import tiny_config


def mup_config(
    data: dict[str, Path], tmp_path: Path, base: int = 8, delta: int = 16, **encoder: object
) -> Path:
    cfg = tiny_config("demo.yaml", data, tmp_path, num_train=200, num_val=100)
    raw = yaml.safe_load(cfg.read_text())
    raw["model"]["mup"] = {
        "shape_path": str(tmp_path / "shapes.bsh"),
        "parameter_base": base,
        "parameter_delta": delta,
    }
    raw["model"]["model"]["init_args"]["encoder"]["init_args"].update(
        {"embed_dim": 32, "num_heads": 4, **encoder}
    )
    cfg.write_text(yaml.safe_dump(raw))
    return cfg


def test_mup_setup_check_and_fit(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = mup_config(tiny_data, tmp_path)
    out = tmp_path / "check"
    assert (
        main(
            [
                "mup-setup",
                "--config",
                str(cfg),
                "--check",
                "--widths",
                "8",
                "32",
                "--steps",
                "2",
                "--out-dir",
                str(out),
            ]
        )
        == 0
    )
    shapes = yaml.safe_load((tmp_path / "shapes.bsh").read_text())
    assert shapes["encoder.layers.0.attention.q_proj.weight"] == [8, 8]  # base widths recorded
    assert shapes["encoder.out_proj.weight"] == [None, 8] and shapes["tasks.0.net.net.0.weight"] == [
        None,
        None,
    ]
    result = json.loads((out / "coord_check.json").read_text())
    assert result["widths"] == [8, 32] and (out / "coord_check.png").stat().st_size > 1000
    for name in ("encoder.layers.0", "encoder.final_norm", "tasks.0"):
        small, large = (result["l1"][w][name][-1] for w in ("8", "32"))
        assert 0.25 < large / small < 4, (name, small, large)  # muP: no growth with width

    cli = HaliteCLI(LitModel, JetDataModule, args=["--config", str(cfg)], run=False)
    lit = cli.model
    enc = lit.model.encoder
    assert isinstance(enc.out_proj, MuReadout) and enc.out_proj.width_mult() == 4  # 32 / 8
    attn = enc.layers[0].attention
    assert attn.scale == 1 / attn.head_dim
    assert attn.q_proj.weight.infshape.ninf() == 2
    main(["fit", "--config", str(cfg), "--trainer.max_epochs=1"])
    (run_dir,) = list((tmp_path / "logs").iterdir())
    ckpt = torch.load(run_dir / "ckpts" / "last.ckpt", weights_only=False)
    assert ckpt["optimizer_states"] and "encoder.out_proj.weight" in "".join(ckpt["state_dict"])
    lit.trainer = cli.trainer
    opt = lit.configure_optimizers()["optimizer"]  # MuAdamW: lr / width_mult for hidden weights
    lrs = sorted({g["max_lr"] for g in opt.param_groups})  # kept per group by the one-cycle schedule
    assert lrs == pytest.approx([lit.lrs_config.max / 4, lit.lrs_config.max])


def test_mup_errors(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = mup_config(tiny_data, tmp_path, out_dim=None)
    with pytest.raises(ValueError, match="set `out_dim` in model.model.init_args.encoder.init_args"):
        main(["mup-setup", "--config", str(cfg)])
    cfg = mup_config(tiny_data, tmp_path, base=10)
    with pytest.raises(ValueError, match="mup.parameter_base=10 is not divisible by num_heads=4"):
        main(["mup-setup", "--config", str(cfg)])
    cfg = mup_config(tiny_data, tmp_path)
    with pytest.raises(FileNotFoundError, match="Create it with `halite mup-setup"):
        HaliteCLI(LitModel, JetDataModule, args=["--config", str(cfg)], run=False)


@pytest.mark.parametrize("tool", ["submit", "tune", "mup-setup"])
def test_tool_help(tool: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([tool, "--help"])
    assert exc.value.code == 0
    assert f"halite {tool}" in capsys.readouterr().out
