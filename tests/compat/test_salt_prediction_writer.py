"""salt.callbacks.PredictionWriter's arguments through fit and test, and salt's ``run_eval`` flow.

salt's ``run_eval`` edits the saved run config: the PredictionWriter callback gets
``write_tracks: True``, then ``test --config=<run config>`` runs. halite's saved run config holds
halite's writer (``halite.training.callbacks.prediction_writer.PredictionWriter``) in
``trainer.callbacks`` with the same arguments, so the same edit works on it.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import yaml

from halite.commands import main
from tests.compat.salt_dummy import write_dummy_file
from tests.compat.test_salt_pipeline import run_dir, salt_train_args

EXTRA = ["pt", "eta", "HadronConeExclTruthLabelID"]
WRITER = {
    "trainer": {
        "callbacks": [
            {
                "class_path": "salt.callbacks.PredictionWriter",
                "init_args": {
                    "extra_vars": {"jets": EXTRA, "tracks": ["d0", "dphi"]},
                    "half_precision": True,
                },
            }
        ]
    }
}


def test_extra_vars_and_half_precision_reach_the_predictions(tmp_path: Path) -> None:
    overlay = tmp_path / "writer.yaml"
    overlay.write_text(yaml.safe_dump(WRITER))
    args = salt_train_args(tmp_path, "nan_regression.yaml")
    args.insert(2, f"--config={overlay}")
    assert main(args) == 0
    run = run_dir(tmp_path)
    config_path = run / "config.yaml"

    # salt's run_eval, verbatim in effect: switch on write_tracks in the saved config's writer
    config = yaml.safe_load(config_path.read_text())
    for callback in config["trainer"]["callbacks"]:
        if "PredictionWriter" in callback["class_path"]:
            callback["init_args"]["write_tracks"] = True
            break
    else:
        raise AssertionError("the saved run config has no PredictionWriter callback")
    config_path.write_text(yaml.dump(config))

    test_file = tmp_path / "dummy_test_sample_inputs.h5"
    write_dummy_file(test_file, n_jets=100, seed=1)
    assert main(["test", f"--config={config_path}", f"--data.test_file={test_file}",
                 "--data.num_test=100", "--data.batch_size=50"]) == 0  # fmt: skip
    (predictions,) = (run / "ckpts").glob("*.h5")  # beside the checkpoint, as salt writes it
    with h5py.File(predictions) as f:
        jets = f["jets"]
        assert list(jets.dtype.names) == [*EXTRA, "regression_example_output_std_norm",
                                          "regression_example_output_ratio"]  # fmt: skip
        floats = [n for n in jets.dtype.names if jets.dtype[n].kind == "f"]
        assert floats and all(jets.dtype[n] == np.float16 for n in floats)
        assert jets.dtype["HadronConeExclTruthLabelID"].kind == "i"  # integers keep their type
        tracks = f["tracks"]  # written: write_tracks from the edited run config
        assert {"d0", "dphi", "regression_example_dummyOutput_dPhi", "mask"} <= set(tracks.dtype.names)
        assert "z0SinTheta" not in tracks.dtype.names
        assert tracks.dtype["regression_example_dummyOutput_dPhi"] == np.float16
