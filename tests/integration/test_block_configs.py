"""lumin-style block configs end to end through the CLI: fit -> test on a tiny file."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from halite.commands import main
from halite.data.prep import compute_class_dict, compute_norm_dict
from tests.conftest import CONFIGS, tiny_config


@pytest.mark.parametrize(("config", "tracks"), [("columnar_dnn.yaml", False), ("lbn.yaml", True)])
def test_block_config_fit_then_test(
    config: str, tracks: bool, tiny_data: dict[str, Path], tmp_path: Path
) -> None:
    variables = yaml.safe_load((CONFIGS / config).read_text())["data"]["variables"]
    assert ("tracks" in variables) == tracks
    norm_path, class_path = tmp_path / "norm.yaml", tmp_path / "class.yaml"
    norm_path.write_text(yaml.safe_dump(compute_norm_dict(tiny_data["train"], variables)))
    class_path.write_text(yaml.safe_dump(compute_class_dict(tiny_data["train"], {"jets": ["flavour_label"]})))
    cfg = tiny_config(config, tiny_data, tmp_path, norm_dict=str(norm_path), class_dict=str(class_path))
    main(["fit", "--config", str(cfg)])
    (rd,) = list((tmp_path / "logs").glob("*_*"))
    assert (rd / "ckpts" / "last.ckpt").is_file()
    saved = yaml.safe_load((rd / "config.yaml").read_text())
    assert saved["model"]["model"]["class_path"] == "halite.models.BlockModel"

    main(["test", "--config", str(rd / "config.yaml")])
    (pred,) = list((rd / "predictions").glob("*.h5"))
    name = saved["name"]
    with h5py.File(pred) as f:
        jets = f["jets"][:]
        assert len(jets) == 300
        probs = np.stack([jets[f"{name}_p{c}"] for c in "bcu"], axis=1)
        np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
        assert np.isfinite(probs).all()
        assert "tracks" not in f
    summary = json.loads(pred.with_suffix(".summary.json").read_text())
    assert summary["num_jets"] == 300
