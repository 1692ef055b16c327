"""End to end through the CLI: fit -> test on a tiny file, predictions checked."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from halite.commands import main
from tests.conftest import CONFIGS, tiny_config


def run_dir(out: Path) -> Path:
    (d,) = list((out / "logs").glob("*_*"))
    return d


def test_demo_config_fit_then_test(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    main(["fit", "--config", str(cfg)])
    rd = run_dir(tmp_path)
    for name in ("config.yaml", "norm_dict.yaml", "class_dict.yaml", "metrics.csv"):
        assert (rd / name).is_file(), name
    ckpts = sorted((rd / "ckpts").glob("epoch=*.ckpt"))
    assert ckpts and (rd / "ckpts" / "last.ckpt").is_file()
    assert not list(rd.rglob("*.tmp"))
    saved = yaml.safe_load((rd / "config.yaml").read_text())
    assert saved["data"]["variables"]["jets"] == ["pt_btagJes", "eta_btagJes"]

    main(["test", "--config", str(rd / "config.yaml"), "--write_tracks", "true"])
    (pred,) = list((rd / "predictions").glob("*.h5"))
    assert pred.name.startswith(ckpts[0].stem)
    with h5py.File(pred) as f, h5py.File(tiny_data["test"]) as t:
        jets = f["jets"][:]
        src = t["jets"][:300]
        assert set(src.dtype.names) <= set(jets.dtype.names)
        np.testing.assert_array_equal(jets["eventNumber"], src["eventNumber"])
        probs = np.stack([jets[f"demo_p{c}"] for c in "bcu"], axis=1)
        np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
        tracks = f["tracks"][:]
        assert tracks.shape == (300, 40)
        np.testing.assert_array_equal(tracks["valid"], t["tracks"]["valid"][:300])
        assert "demo_pFromB" in tracks.dtype.names
        assert f["jets"].compression is None


#: full configs (fragments such as GATv2.yaml have no data section and are tested merged)
FULL_CONFIGS = sorted(p.name for p in CONFIGS.glob("*.yaml") if "data" in yaml.safe_load(p.read_text()))


@pytest.mark.parametrize("config", FULL_CONFIGS)
def test_every_config_parses(config: str, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config(config, tiny_data, tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", str(cfg), "--print_config"])
    assert exc.value.code == 0


@pytest.mark.parametrize("tool", ["synth", "prep"])
def test_tool_help(tool: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([tool, "--help"])
    assert exc.value.code == 0
    assert f"halite {tool}" in capsys.readouterr().out


def test_malloc_option_reaches_the_allocator(
    tiny_data: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from halite.cli import HaliteCLI, app
    from halite.data.datamodule import JetDataModule
    from halite.training.module import LitModel

    applied: list[str] = []
    monkeypatch.setattr(app, "set_malloc_policy", applied.append)
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    HaliteCLI(LitModel, JetDataModule, args=["--config", str(cfg), "--malloc", "release"], run=False)
    HaliteCLI(LitModel, JetDataModule, args=["--config", str(cfg)], run=False)
    assert applied == ["release", "system"]
