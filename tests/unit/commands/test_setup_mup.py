"""`halite setup-mup -c CONFIG` on salt's model.mup_config: ./temp_mup/ default, base/delta models, num_heads."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from mup import MuReadout

from halite.commands import main
from tests.conftest import tiny_config


def salt_mup_config(data: dict[str, Path], tmp_path: Path, key: str = "mup_config", **entry: object) -> Path:
    cfg = tiny_config("demo.yaml", data, tmp_path, num_train=200, num_val=100)
    raw = yaml.safe_load(cfg.read_text())
    raw["model"][key] = {
        "embed_dim": {
            "apply_to": ["init_nets", "encoder"],
            "parameter_name": ["output_size", "embed_dim"],
            "parameter_base": 8,
            "parameter_delta": 16,
            **entry,
        }
    }
    args = raw["model"]["model"]["init_args"]
    args["encoder"]["init_args"].update({"embed_dim": 32, "num_heads": 4, "out_dim": 16})
    args["init_nets"][0]["dense_config"]["output_size"] = 32  # salt writes the init-net width out
    flag = "mup" if key == "mup_config" else "muP"  # salt's block flags, in the same spelling
    args["init_nets"][0]["dense_config"][flag] = True
    args["encoder"]["init_args"][flag] = True
    cfg.write_text(yaml.safe_dump(raw))
    return cfg


def test_setup_mup_salt_form_and_fit(
    tiny_data: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = salt_mup_config(tiny_data, tmp_path)
    assert main(["setup-mup", "-c", str(cfg)]) == 0
    folder = tmp_path / "temp_mup"  # salt 0.13's default folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "base_model.pt", "delta_model.pt", "modbase.yaml", "moddelta.yaml", "storeshapes",
    ]  # fmt: skip
    shapes = yaml.safe_load((folder / "storeshapes").read_text())
    assert shapes["encoder.layers.0.attention.q_proj.weight"] == [8, 8]
    base = torch.load(folder / "base_model.pt", weights_only=False)
    assert base.encoder.embed_dim == 8 and isinstance(base.encoder.out_proj, MuReadout)
    modbase = yaml.safe_load((folder / "modbase.yaml").read_text())
    assert modbase["model"]["model"]["init_args"]["init_nets"][0]["dense_config"]["output_size"] == 8
    assert "mup_config" not in modbase["model"]
    assert modbase["model"]["model"]["init_args"]["encoder"]["init_args"]["mup"] is False
    main(["fit", "--config", str(cfg), "--trainer.max_epochs=1"])  # reads ./temp_mup/storeshapes
    (run_dir,) = (tmp_path / "logs").iterdir()
    assert "mup_config" in yaml.safe_load((run_dir / "config.yaml").read_text())["model"]


def test_setup_mup_old_spelling_scales_num_heads(
    tiny_data: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = salt_mup_config(
        tiny_data, tmp_path, "muP_config", apply_to=["encoder"], parameter_name=["num_heads"],
        parameter_base=2, parameter_delta=4,
    )  # fmt: skip
    assert main(["setup-mup", "-config", str(cfg)]) == 0
    shapes = yaml.safe_load((tmp_path / "temp_muP" / "storeshapes").read_text())
    # base and delta differ along the head count (head width 32 / 4 = 8): infinite dims to scale
    assert shapes["encoder.layers.0.attention.q_proj.weight"] == [16, 16]
    assert shapes["encoder.out_proj.weight"] == [None, 16]
    assert shapes["init_nets.tracks.net.net.2.weight"][0] == 16  # the init net follows the encoder width
    delta = torch.load(tmp_path / "temp_muP" / "delta_model.pt", weights_only=False)
    assert delta.encoder.layers[0].attention.num_heads == 4 and delta.encoder.embed_dim == 32


def test_setup_mup_needs_a_muP_block(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    with pytest.raises(ValueError, match="has no muP set-up"):
        main(["setup-mup", "-c", str(cfg)])


def test_mup_flags_need_a_muP_set_up(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    from halite.cli import HaliteCLI
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel

    cfg = salt_mup_config(tiny_data, tmp_path)
    raw = yaml.safe_load(cfg.read_text())
    del raw["model"]["mup_config"]
    cfg.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=r"\['init_nets.tracks', 'encoder'\] set salt's muP flag"):
        HaliteCLI(LitModel, JetDataModule, args=["--config", str(cfg)], run=False)
