"""The grid's model ids, the seed's flags and backbone resolution (:mod:`halite.training.grid_models`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from halite.errors import ConfigError
from halite.training.grid_models import (
    MODELS,
    canonical,
    entries_from_flags,
    resolve_backbone,
    write_submit_script,
)


def test_seed_ids_and_aliases() -> None:
    assert MODELS["OLS"].config == MODELS["OLS_RW"].config == "pet2_small.yaml"
    assert MODELS["OLS"].pretrained == "pretrain_s" and MODELS["OLS_RW"].pretrained is None
    assert MODELS["OLM"] == MODELS["OLM"].__class__("pet2_medium.yaml", "pretrain_m")
    assert [canonical(m) for m in ("pet2-small", "pet2-small-scratch", "pet2-medium", "pet2-large", "vit")] == [
        "OLS", "OLS_RW", "OLM_RW", "OLL_RW", "vit"]  # fmt: skip
    with pytest.raises(ConfigError, match="Unknown model 'OLX'.*aliases"):
        canonical("OLX")


@pytest.mark.parametrize(
    ("flags", "ids", "backbones"),
    [
        (("small", None, False), ["OLS_RW"], {}),
        (("small", "pretrain_s", False), ["OLS"], {"OLS": "pretrain_s"}),
        (("medium", "pretrain_m", False), ["OLM"], {"OLM": "pretrain_m"}),
        ((None, "pretrain_m", False), ["OLM"], {"OLM": "pretrain_m"}),  # preset from the name
        ((None, "/ckpts/best_model_s.pt", False), ["OLS"], {"OLS": "/ckpts/best_model_s.pt"}),
        (("large", None, True), ["OLL_RW", "cond-only"], {}),
        ((None, None, True), ["cond-only"], {}),
        ((None, None, False), [], {}),
    ],
)
def test_seed_flags_map_to_entries(flags: tuple, ids: list[str], backbones: dict[str, str]) -> None:
    assert entries_from_flags(*flags) == (ids, backbones)


def test_resolve_backbone_names_and_paths(tmp_path: Path) -> None:
    assert resolve_backbone("pretrain_s", tmp_path) == (
        (tmp_path / "pretrain_s" / "backbone.ckpt").resolve(),
        "pretrain_s",
    )
    ckpt = tmp_path / "best_model_pretrain.pt"
    ckpt.write_bytes(b"x")
    assert resolve_backbone(str(ckpt), tmp_path / "elsewhere") == (ckpt.resolve(), None)
    with pytest.raises(ConfigError, match="no such checkpoint file"):
        resolve_backbone(str(tmp_path / "missing.ckpt"), tmp_path)


def test_submit_script_chains_dependencies(tmp_path: Path) -> None:
    pre = {"pretrain_s": tmp_path / "pretrain_s.slurm"}
    jobs = {"OLS": (tmp_path / "OLS" / "job.slurm", "pretrain_s"), "OLS_RW": (tmp_path / "OLS_RW" / "job.slurm", None),
            "OLM": (tmp_path / "OLM" / "job.slurm", "pretrain_m")}  # fmt: skip
    text = write_submit_script(tmp_path / "submit.sh", pre, jobs).read_text().splitlines()
    assert f"pre_pretrain_s=$(sbatch --parsable {tmp_path / 'pretrain_s.slurm'})" in text
    assert f"sbatch --dependency=afterok:$pre_pretrain_s {tmp_path / 'OLS' / 'job.slurm'}  # OLS" in text
    assert f"sbatch {tmp_path / 'OLS_RW' / 'job.slurm'}  # OLS_RW" in text
    # pretrain_m already exists (no job): OLM is submitted without a dependency
    assert f"sbatch {tmp_path / 'OLM' / 'job.slurm'}  # OLM" in text
