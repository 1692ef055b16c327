"""The cases of the command-line error corpus (``test_error_corpus.py``).

Each case: an id, a function building the command line after ``halite`` from an ``Env`` (a tiny
dataset, a tiny config, a trained run and a folder of the case's own), and a regex the one
``halite <tool>: error:`` block must match.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CONFIGS
from tests.reliability import test_bad_configs as bad_configs
from tests.reliability import test_bad_files as bad_files
from tests.reliability.corpus_env import (
    FIT0,
    FIT1,
    Env,
    _bad_new_variable,
    _ckpt_case,
    _file_fit,
    _file_test,
    _label_map_task,
    _model,
    _norm,
    _other_backbone,
    _salt,
    fit,
)

#: (id, command line after ``halite``, regex the error must match, extra environment)
Case = tuple[str, Callable[[Env], list[str]], str]

CASES: list[Case] = [
    # ---- config: parse time
    ("unknown tool", lambda e: ["fitt"], r"halite: error: unknown tool 'fitt'\. Did you mean 'fit'\?"),
    (
        "typo in a data key",
        lambda e: fit(e, lambda c: c["data"].update(batchsize=c["data"].pop("batch_size")), *FIT0),
        r"halite fit: error: .*\n.*Unknown key 'data.batchsize': did you mean 'data.batch_size'\?",
    ),
    (
        "typo on the command line",
        lambda e: fit(e, None, "--data.num_workrs", "0"),
        r"Unknown key 'data.num_workrs': did you mean 'data.num_workers'\?",
    ),
    (
        "typo in a section name",
        lambda e: fit(e, lambda c: c.update(trainr=c.pop("trainer"))),
        r"Unknown key 'trainr\.\w+': did you mean 'trainer\.\w+'\?",
    ),
    (
        "typo in a task argument",
        lambda e: fit(e, lambda c: _model(c)["tasks"][0]["init_args"].update(nme="x")),
        r"Unknown key 'nme' of halite.tasks.ClassificationTask: did you mean 'name'\?",
    ),
    (
        "typo in a class_path",
        lambda e: fit(e, lambda c: _model(c)["encoder"].update(class_path="halite.nn.TransformerEncodr")),
        r"Unknown class_path 'halite.nn.TransformerEncodr': did you mean 'halite.nn.TransformerEncoder'",
    ),
    (
        "unknown class path (no such module)",
        lambda e: fit(e, lambda c: _model(c)["encoder"].update(class_path="nothere.Encoder")),
        r"class_path 'nothere.Encoder'.*\n.*No module named 'nothere'",
    ),
    (
        "wrong type of a config key",
        lambda e: fit(e, lambda c: c["data"].update(batch_size="many")),
        r"data.batch_size.*\n.*Expected a <class 'int'>. Got value: many",
    ),
    (
        "wrong type on the command line",
        lambda e: fit(e, None, "--trainer.max_epochs", "two"),
        r"trainer.max_epochs.*\n(.*\n)*.*Given value: two",
    ),
    (
        "value outside a closed set",
        lambda e: fit(e, lambda c: c["data"].update(non_finite="drop")),
        r"data.non_finite.*\n.*Literal\['error', 'zero', 'replace'\]. Got value: drop",
    ),
    (
        "unknown allocator policy",
        lambda e: fit(e, lambda c: c.update(malloc="fast")),
        r"malloc.*\n.*Literal\['system', 'reuse', 'release'\]. Got value: fast",
    ),
    (
        "config file missing",
        lambda e: ["fit", "--config", str(e.tmp / "nope.yaml")],
        r"halite fit: error: Config file not found: .*nope\.yaml",
    ),
    (
        "unreadable YAML",
        lambda e: ["fit", "--config", e.write("broken.yaml", "data:\n  batch_size: [1\n")],
        r"(?s)broken\.yaml is not valid YAML .*line 2, column 15",
    ),
    # ---- config: instantiation (errors raised in __init__, wrapped by jsonargparse)
    (
        "heads do not divide width",
        lambda e: fit(e, lambda c: _model(c)["encoder"]["init_args"].update(num_heads=5), *FIT0),
        r"halite fit: error: embed_dim=64 is not divisible by num_heads=5",
    ),
    (
        "init net for an unknown stream",
        lambda e: fit(e, lambda c: _model(c)["init_nets"][0].update(input_name="muons"), *FIT0),
        r"Init net for 'muons' but data.variables has no such stream",
    ),
    (
        "task on an unknown stream",
        lambda e: fit(e, lambda c: _model(c)["tasks"][1]["init_args"].update(input_name="muons"), *FIT0),
        r"Task 'track_origin' reads stream 'muons'",
    ),
    (
        "misspelled stream of a task (did-you-mean)",
        lambda e: fit(e, lambda c: _model(c)["tasks"][1]["init_args"].update(input_name="trakcs"), *FIT0),
        r"Task 'track_origin' reads stream 'trakcs'.* Did you mean 'tracks'\?",
    ),
    (
        "misspelled variable (did-you-mean)",
        lambda e: fit(e, lambda c: c["data"]["variables"]["tracks"].__setitem__(0, "d00"), *FIT0),
        r"no mean/std for variable 'd00' of stream 'tracks'\. Did you mean 'd0'",
    ),
    (
        "task label not in the data",
        lambda e: fit(e, lambda c: _model(c)["tasks"][0]["init_args"].update(label="flavour_lable"), *FIT1),
        r"flavour_lable",
    ),
    (
        "global object without variables",
        lambda e: fit(e, lambda c: c["data"].update(global_object="event"), *FIT0),
        r"(data\.global_object 'event' has no entry in data\.variables|which is neither the global object 'event')",
    ),
    (
        "invalid option group value",
        lambda e: fit(e, lambda c: c["model"]["lrs_config"].update(pct_start=2.0), *FIT0),
        r"lrs_config.pct_start must be in \(0, 1\), got 2.0",
    ),
    (
        "norm dict file missing",
        lambda e: fit(e, lambda c: c["data"].update(norm_dict=str(e.tmp / "none.yaml")), *FIT0),
        r"halite fit: error: YAML file not found: .*none\.yaml",
    ),
    (
        "norm dict not YAML",
        lambda e: fit(e, lambda c: c["data"].update(norm_dict=e.write("n.yaml", "tracks: {d0: [")), *FIT0),
        r"n\.yaml is not valid YAML",
    ),
    (
        "norm dict not a mapping",
        lambda e: fit(e, lambda c: c["data"].update(norm_dict=e.write("n.yaml", [1, 2])), *FIT0),
        r"Norm dict .*n\.yaml must map stream",
    ),
    (
        "norm dict missing a stream",
        lambda e: fit(
            e, lambda c: c["data"].update(norm_dict=e.write("n.yaml", {"jets": _norm(e)["jets"]})), *FIT0
        ),
        r"n\.yaml has no entry for stream 'tracks'",
    ),
    (
        "norm dict without a variable",
        lambda e: fit(
            e,
            lambda c: c["data"].update(
                norm_dict=e.write(
                    "n.yaml",
                    {**_norm(e), "tracks": {k: v for k, v in _norm(e)["tracks"].items() if k != "d0"}},
                )
            ),
            *FIT0,
        ),
        r"n\.yaml has no mean/std for variable 'd0' of stream 'tracks'",
    ),
    (
        "norm dict zero std",
        lambda e: fit(
            e,
            lambda c: c["data"].update(
                norm_dict=e.write(
                    "n.yaml",
                    {**_norm(e), "jets": {**_norm(e)["jets"], "eta_btagJes": {"mean": 0.0, "std": 0.0}}},
                )
            ),
            *FIT0,
        ),
        r"n\.yaml: variable 'eta_btagJes' of stream 'jets' has std=0.0",
    ),
    (
        "class dict with the wrong class count",
        lambda e: fit(
            e,
            lambda c: c["data"].update(class_dict=e.write("c.yaml", {"jets": {"flavour_label": [1.0, 2.0]}})),
            *FIT0,
        ),
        r"c\.yaml: .*2 weights for label 'flavour_label' but the task has 3 classes",
    ),
    (
        "class dict missing the label",
        lambda e: fit(e, lambda c: c["data"].update(class_dict=e.write("c.yaml", {"tracks": {}})), *FIT0),
        r"c\.yaml: .*class dict has no entry 'jets.flavour_label'",
    ),
    (
        "resume without a run",
        lambda e: fit(e, None, "--ckpt_path", "last", "--trainer.default_root_dir", str(e.tmp / "logs")),
        r"--ckpt_path last: no checkpoint to resume",
    ),
    (
        "continual resume without a run",
        lambda e: [
            "continual",
            "--config",
            str(CONFIGS / "continual" / "split_digits_til.yaml"),
            "--continual.output_dir",
            str(e.tmp / "logs"),
            "--ckpt_path",
            "last",
        ],
        r"--ckpt_path last: no continual run to resume in .*logs/split_digits_til_\*/ckpts",
    ),
    # ---- data files (fit reads the training file, test the test file)
    ("missing data file", _file_fit(lambda s, t: [t / "nope.h5"]), r"nope\.h5"),
    (
        "glob matches nothing",
        lambda e: fit(e, None, *FIT1, "--data.train_file", str(e.tmp / "run*.h5")),
        r"No files match the glob '.*run\*\.h5'",
    ),
    ("not an HDF5 file", _file_fit(bad_files._text_file), r"Cannot open .*a\.h5 as HDF5.*not an HDF5 file"),
    ("empty file", _file_fit(bad_files._empty_file), r"Cannot open .*e\.h5 as HDF5.*truncated"),
    ("truncated file", _file_fit(bad_files._truncated), r"Cannot open .*cut\.h5 as HDF5 .*truncated"),
    ("dataset not in the file", _file_fit(bad_files._no_tracks), r"nt\.h5: dataset 'tracks' .*not found"),
    (
        "variable not in the file",
        lambda e: fit(e, lambda c: c["data"]["variables"]["jets"].append("nonexistent"), *FIT1),
        r"nonexistent",
    ),
    (
        "field dropped from the file",
        _file_test(bad_files._edited(drop_track="d0")),
        r"edited\.h5: variable 'd0' not found in dataset 'tracks'",
    ),
    (
        "wrong dtype in a field",
        _file_fit(bad_files._edited(retype_jet=("eta_btagJes", "S8"))),
        r"variable 'eta_btagJes' of dataset 'jets' has dtype \|S8, not a number",
    ),
    (
        "missing valid flag",
        _file_test(bad_files._edited(drop_track="valid")),
        r"constituent dataset 'tracks' has no boolean 'valid' field",
    ),
    (
        "constituents not 2D",
        _file_fit(bad_files._one_d_tracks),
        r"flat\.h5: constituent dataset 'tracks' must be 2D",
    ),
    (
        "datasets of different lengths",
        _file_test(bad_files._uneven),
        r"uneven\.h5: datasets have different numbers",
    ),
    ("file with no jets", _file_fit(lambda s, t: [bad_files.copy_with(s, t / "zero.h5", n=0)]), r"zero\.h5"),
    (
        "more jets requested than held",
        lambda e: [*_file_test(lambda s, t: [bad_files.copy_with(s, t / "few.h5", n=20)])(e)[:-1], "50"],
        r"Requested 50 jets but .*few\.h5.* hold only 20",
    ),
    (
        "NaN in an input",
        _file_fit(bad_files._nan),
        r"nan\.h5: non-finite \(NaN/inf\) values in stream 'tracks': \{'d0': 2\}.*non_finite: replace",
    ),
    (
        "labels outside the label map",
        lambda e: fit(e, _label_map_task, *FIT1),
        r"label 'HadronConeExclTruthLabelID' of stream 'jets' has values \[4\] that are not in the label map",
    ),
    # ---- checkpoints (halite test)
    ("checkpoint missing", _ckpt_case(lambda c, t: t / "gone.ckpt"), r"gone\.ckpt"),
    ("checkpoint truncated", _ckpt_case(bad_configs._truncated), r"Cannot read checkpoint .*cut\.ckpt"),
    ("checkpoint with code in it", _ckpt_case(bad_configs._malicious), r"Refusing to load .*evil\.ckpt"),
    (
        "not a Lightning checkpoint",
        _ckpt_case(bad_configs._plain),
        r"plain\.ckpt is not a Lightning checkpoint",
    ),
    (
        "checkpoint from another model",
        _ckpt_case(
            lambda c, t: c, lambda c: _model(c)["encoder"]["init_args"].update(embed_dim=32, out_dim=32)
        ),
        r"last\.ckpt was written by a model with a different configuration: .*shape mismatches",
    ),
    (
        "checkpoint of other variables",
        _ckpt_case(lambda c, t: c, lambda c: c["data"]["variables"]["tracks"].reverse()),
        r"different configuration: variables: checkpoint has",
    ),
    (
        "unsafe loading refused",
        lambda e: ["test", "--config", str(e.run_cfg), "--ckpt_path", str(e.ckpt), "--weights_only", "false"],
        r"weights_only=True only",
    ),
    (
        "predict from a missing checkpoint",
        lambda e: ["predict", "--config", str(e.run_cfg), "--ckpt_path", str(e.tmp / "gone.ckpt")],
        r"halite predict: error: .*gone\.ckpt",
    ),
    (
        "pretrained backbone of another network",
        lambda e: fit(e, None, "--model.pretrained", _other_backbone(e), *FIT0),
        r"halite fit: error: Pretrained checkpoint .*other_backbone\.ckpt: only 0 of the model's \d+ backbone "
        r"tensors load .*checkpoint keys the model lacks: backbone\.body\.token",
    ),
    # ---- other tools
    ("prep: training file missing", lambda e: ["prep", "--file", str(e.tmp / "absent.h5")], r"absent\.h5"),
    (
        "prep: truncated file",
        lambda e: ["prep", "--file", str(bad_files._truncated(e.data["test"], e.tmp)[0])],
        r"halite prep: error: Cannot open .*cut\.h5 as an HDF5 file .*truncated",
    ),
    (
        "prep: unknown name in a data.new_variables expression",
        lambda e: ["prep", "--config", e.edited(_bad_new_variable), "--norm-dict", str(e.tmp / "n.yaml")],
        r"halite prep: error: .*data\.new_variables\.tracks\.d0_rel: Expression 'd0 / jets_ptt' uses "
        r"\['jets_ptt'\]",
    ),
    (
        "evaluate: predictions missing",
        lambda e: ["evaluate", str(e.tmp / "pred.h5"), "--tagger", "demo"],
        r"halite evaluate: error: .*pred\.h5",
    ),
    (
        "evaluate: tagger not in the file",
        lambda e: ["evaluate", str(e.data["test"]), "--tagger", "nosuch"],
        r"halite evaluate: error: .*nosuch",
    ),
    (
        "export: checkpoint missing",
        lambda e: ["export", "--ckpt_path", str(e.tmp / "gone.ckpt"), "--output", str(e.tmp / "n.onnx")],
        r"halite export: error: .*gone\.ckpt",
    ),
    (
        "convert: input missing",
        lambda e: ["convert", str(e.tmp / "in.root"), "--to", str(e.tmp / "o.h5"), "--config", str(e.cfg)],
        r"halite convert: error: .*(in\.root|tiny_demo\.yaml)",
    ),
    (
        "synth: full disk",
        lambda e: ["synth", "--out-dir", str(e.tmp / "synth"), "--num-train", "20000", "--num-val", "10"],
        r"halite synth: error: .*(File too large|No space left).*synth",
    ),
    (
        "import-salt: bad salt key",
        lambda e: ["import-salt", _salt(e), "-o", str(e.tmp / "h.yaml")],
        r"halite import-salt: error: .*bogus_key",
    ),
    (
        "fit: bad salt key",
        lambda e: ["fit", "--config", _salt(e)],
        r"halite fit: error: .*bogus_key",
    ),
]
