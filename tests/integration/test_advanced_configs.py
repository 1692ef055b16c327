"""Every advanced config fits and tests from the CLI on tiny synthetic files with the extras."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import yaml

from halite.commands import main
from halite.data.prep import DEFAULT_VARIABLES, compute_class_dict, compute_norm_dict
from halite.data.synthetic import write_splits
from tests.conftest import CONFIGS, tiny_config

ELECTRONS = [
    "pt",
    "ptfrac",
    "deta",
    "dphi",
    "d0",
    "d0Significance",
    "z0SinTheta",
    "EOverP",
    "ptVarCone30OverPt",
    "rhad",
]
SOFT_MUONS = [
    "softMuon_isMuon",
    "softMuon_pt",
    "softMuon_dR",
    "softMuon_pTrel",
    "softMuon_ip3dD0Significance",
    "softMuon_qOverPratio",
    "softMuon_momentumBalanceSignificance",
    "softMuon_scatteringNeighbourSignificance",
]


@pytest.fixture(scope="module")
def extra_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny files with electrons, soft muons and the mass parameter, plus norm and class dicts."""
    out = tmp_path_factory.mktemp("extra_data")
    paths = write_splits(out, 400, 150, 150, seed=11, electrons=True, soft_muons=True, parameters=True)
    variables = {
        "jets": [*DEFAULT_VARIABLES["jets"], *SOFT_MUONS],
        "tracks": [*DEFAULT_VARIABLES["tracks"], "pt", "eta", "phi"],
        "electrons": ELECTRONS,
    }
    paths["norm_dict"] = out / "norm_dict.yaml"
    paths["class_dict"] = out / "class_dict.yaml"
    paths["norm_dict"].write_text(yaml.safe_dump(compute_norm_dict(paths["train"], variables)))
    labels = {"jets": ["flavour_label"], "tracks": ["ftagTruthOriginLabel"]}
    paths["class_dict"].write_text(yaml.safe_dump(compute_class_dict(paths["train"], labels)))
    return paths


def shrink(cfg: dict[str, Any]) -> None:
    """Make a config's model tiny (widths, depths, heads) for a fast CPU test."""
    args = cfg["model"]["model"]["init_args"]
    for net in args["init_nets"]:
        net["dense_config"] = {**net["dense_config"], "hidden_layers": [16]}
    enc = args["encoder"]["init_args"]
    enc.update({"embed_dim": 16, "num_layers": 2 if "input_names" in enc else 1, "num_heads": 2})
    if "out_dim" in enc:
        enc["out_dim"] = 16
    if "edge_embed_dim" in enc:
        enc["edge_embed_dim"] = 4
    if "attention" in enc:
        enc["attention"]["init_args"]["num_heads"] = 2
    pool = args["pool_net"].get("init_args") or {}
    if "num_heads" in pool:
        pool.update({"num_heads": 2, "num_layers": 1})
    for task in args["tasks"]:
        task["init_args"]["dense_config"]["hidden_layers"] = [16]
    for fw in args.get("featurewise_nets") or []:
        for key in ("dense_config_scale", "dense_config_bias"):
            if fw.get(key):
                fw[key]["hidden_layers"] = [8]


def fit_and_test(cfg_path: Path, out: Path, name: str) -> np.ndarray:
    main(["fit", "--config", str(cfg_path)])
    (run,) = list((out / "logs").glob(f"{name}_*"))
    main(["test", "--config", str(run / "config.yaml")])
    (pred,) = list((run / "predictions").glob("*.h5"))
    with h5py.File(pred) as f:
        jets = f["jets"][:]
    probs = np.stack([jets[f"{name}_p{c}"] for c in "bcu"], axis=1)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    assert np.isfinite(probs).all()
    return jets


def write(cfg: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(cfg))
    return path


def small_config(name: str, data: dict[str, Path], out: Path, **overrides: object) -> dict[str, Any]:
    cfg = yaml.safe_load(
        tiny_config(
            name, data, out, batch_size=50, num_train=200, num_val=100, num_test=100, **overrides
        ).read_text()
    )
    shrink(cfg)
    return cfg


@pytest.mark.parametrize(
    "config",
    [
        "GN1.yaml",
        "GN2_cross_attention_pooling.yaml",
        "GN2emu.yaml",
        "GN2_edges.yaml",
        "GN2_param.yaml",
        "GN2_featurewise.yaml",
    ],
)
def test_config_fits_and_tests(config: str, extra_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = small_config(config, extra_data, tmp_path)
    name = cfg["name"]
    jets = fit_and_test(write(cfg, tmp_path / "cfg.yaml"), tmp_path, name)
    assert len(jets) == 100


@pytest.mark.parametrize("config", ["GN2_param.yaml", "GN2_featurewise.yaml"])
def test_parameterised_config_exports_with_parity(
    config: str, extra_data: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PARAMETERS are an input of the exported graph, ``(jets, P)`` like the jet features."""
    cfg = small_config(config, extra_data, tmp_path)
    main(["fit", "--config", str(write(cfg, tmp_path / "cfg.yaml"))])
    (run,) = list((tmp_path / "logs").glob(f"{cfg['name']}_*"))
    capsys.readouterr()
    assert main(["export", "--ckpt_path", str(run / "ckpts" / "last.ckpt"), "--parity-jets", "50"]) == 0
    out = capsys.readouterr().out
    assert "Parity check passed" in out and "PARAMETER" in out


def test_gn1_with_gatv2_fragment_and_global_features(extra_data: dict[str, Path], tmp_path: Path) -> None:
    """GN1 + the GATv2 fragment, with the jet features under GLOBAL (concatenated after pooling)."""
    variables = yaml.safe_load((CONFIGS / "GN1.yaml").read_text())["data"]["variables"]
    variables["GLOBAL"] = variables.pop("jets")
    variables["jets"] = []
    cfg = small_config("GN1.yaml", extra_data, tmp_path, variables=variables)
    fragment = CONFIGS / "GATv2.yaml"
    main(["fit", "--config", str(write(cfg, tmp_path / "cfg.yaml")), "--config", str(fragment)])
    (run,) = list((tmp_path / "logs").glob("GN1_*"))
    saved = yaml.safe_load((run / "config.yaml").read_text())
    attention = saved["model"]["model"]["init_args"]["encoder"]["init_args"]["attention"]
    assert attention["class_path"] == "halite.nn.GATv2Attention"
    main(["test", "--config", str(run / "config.yaml")])
    assert list((run / "predictions").glob("*.h5"))
    # GLOBAL is an input of the exported graph (jets, F), as the jet features are
    assert main(["export", "--ckpt_path", str(run / "ckpts" / "last.ckpt"), "--parity-jets", "50"]) == 0


def test_gatv2_fragment_head_mismatch(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config("GN2.yaml", tiny_data, tmp_path)  # 8 heads, the fragment has 2
    with pytest.raises(ValueError, match="GATv2Attention has num_heads=2 but the encoder has num_heads=8"):
        main(["fit", "--config", str(cfg), "--config", str(CONFIGS / "GATv2.yaml")])


def test_emu_with_cross_attention_encoder(extra_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = small_config("GN2emu.yaml", extra_data, tmp_path)
    enc = cfg["model"]["model"]["init_args"]["encoder"]
    enc["class_path"] = "halite.nn.sets.cross_attention.TransformerCrossAttentionEncoder"
    enc["init_args"].update({"input_names": ["tracks", "electrons"], "ca_every_layer": True, "num_layers": 2})
    fit_and_test(write(cfg, tmp_path / "cfg.yaml"), tmp_path, "GN2emu")
