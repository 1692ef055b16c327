"""salt 0.13's remaining regression configs from the command line (salt's ``tests/test_pipeline.py``).

``test_nan_regression`` and ``test_regression_weighted`` train and test (``do_eval``);
``test_regression_multi_target`` trains only (``do_eval=False``). Each on files in salt's dummy
layout, with salt's arguments and the tiny overrides of ``test_salt_pipeline.salt_train_args``.
The prediction columns are checked against the names salt's ``PredictionWriter`` writes:
``<model>_<target or custom output name>`` on the ``jets`` (and ``tracks``) datasets.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from halite.commands import main
from halite.data.datamodule import JetDataModule
from halite.data.multi_target import MultiTarget
from halite.data.specs import LabelSpec
from halite.io import read_yaml
from tests.compat.salt_dummy import write_dummy_file
from tests.compat.test_salt_pipeline import run_dir, salt_train_args

#: the columns salt's writer gives each config's predictions (model name = the config's `name`)
COLUMNS = {
    "nan_regression.yaml": {
        "jets": ["regression_example_output_std_norm", "regression_example_output_ratio"],
        "tracks": ["regression_example_dummyOutput_dPhi"],
    },
    "regression_weighted.yaml": {
        "jets": [
            "regression_example_HadronConeExclTruthLabelPt",
            "regression_example_R10TruthLabel_R22v1_TruthJetMass",
            "regression_example_R10TruthLabel_R22v1_TruthJetPt",
            "regression_example_pt",
            "regression_example_truthMass",
            "regression_example_truthPt",
        ],
        "tracks": ["regression_example_dummyOutput_dPhi", "regression_example_dummyOutput_dEta"],
    },
}


def salt_test(run: Path, tmp: Path) -> Path:
    """salt's ``run_eval``: ``test --config=<run config>`` on a fresh dummy file; the predictions file."""
    test_file = tmp / "dummy_test_sample_inputs.h5"
    write_dummy_file(test_file, n_jets=100, seed=1)
    args = ["test", f"--config={run / 'config.yaml'}", f"--data.test_file={test_file}",
            "--data.num_test=100", "--data.batch_size=50", "--write_tracks=true"]  # fmt: skip
    assert main(args) == 0
    (predictions,) = (run / "ckpts").glob("*.h5")  # beside the checkpoint, as salt writes it
    return predictions


@pytest.mark.parametrize("config", sorted(COLUMNS))
def test_salt_regression_config_fits_and_tests(config: str, tmp_path: Path) -> None:
    assert main(salt_train_args(tmp_path, config)) == 0
    run = run_dir(tmp_path)
    assert "salt." not in (run / "config.yaml").read_text()
    with h5py.File(salt_test(run, tmp_path)) as f:
        for stream, columns in COLUMNS[config].items():
            assert len(f[stream]) == 100
            names = f[stream].dtype.names
            assert set(columns) <= set(names), (stream, names)
            for col in columns:
                values = f[stream][col]
                if stream == "jets":
                    assert np.isfinite(values).all(), col
                else:  # padded track slots are NaN, valid ones finite
                    valid = f[stream]["valid"] if "valid" in names else np.isfinite(values)
                    assert np.isfinite(values[valid]).all() and valid.any(), col


def test_nan_regression_trains_on_nan_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """salt's nan_regression: light jets have NaN Lxy; the loss skips them and stays finite."""
    assert main(salt_train_args(tmp_path, "nan_regression.yaml")) == 0
    metrics = next(run_dir(tmp_path).rglob("metrics.csv")).read_text()
    assert "nan" not in metrics.lower()


def test_regression_multi_target_fits(tmp_path: Path) -> None:
    """salt's test_regression_multi_target (``do_eval=False``): data.multi_target builds pt_label_handle."""
    assert main(salt_train_args(tmp_path, "regression_multi_target.yaml")) == 0
    run = run_dir(tmp_path)
    assert list((run / "ckpts").glob("*.ckpt"))
    data = read_yaml(run / "config.yaml")["data"]
    assert [e["source"] for e in data["multi_target"]] == ["HadronConeExclTruthLabelPt", "pt"]

    # the target a batch carries: the truth-hadron pt for taus (label 15), the jet pt otherwise
    train = tmp_path / "dummy_train_inputs.h5"
    with h5py.File(train, "r+") as f:  # salt's dummy jets have no taus: make some
        jets = f["jets"][:]
        jets["HadronConeExclTruthLabelID"][::3] = 15
        f["jets"][...] = jets
    dm = JetDataModule(train_file=str(train), val_file=str(train), variables={"jets": ["pt_btagJes"]},
                       norm_dict=data["norm_dict"], batch_size=50, num_workers=0,
                       multi_target=[MultiTarget(**e) for e in data["multi_target"]])  # fmt: skip
    dm.require_labels({"jets": [LabelSpec("pt_label_handle", "value")]})
    batch = next(iter(dm.val_dataloader()))
    jets = batch.labels["jets"]
    tau = jets["HadronConeExclTruthLabelID"] == 15
    assert tau.any() and (~tau).any()
    expected = torch.where(tau, jets["HadronConeExclTruthLabelPt"], jets["pt"])
    torch.testing.assert_close(jets["pt_label_handle"], expected)
