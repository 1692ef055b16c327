"""ClassificationTask: documented errors, label maps, padding, weights, binary heads, class names."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml
from torch import nn

from halite.commands import main
from halite.data.specs import LabelSpec
from halite.data.transforms import map_labels
from halite.models.multitask import MultiTask
from halite.nn.layers.dense import DenseConfig
from halite.tasks import ClassificationTask


def built(task: ClassificationTask, width: int = 4, context: int = 0) -> ClassificationTask:
    task.build(width, context)
    return task


def test_label_map_requires_class_names() -> None:
    with pytest.raises(ValueError, match="specify class_names when using label_map"):
        ClassificationTask("jc", "jets", "HadronConeExclTruthLabelID", label_map={0: 0, 4: 1, 5: 2})


def test_label_map_values_must_be_class_indices() -> None:
    with pytest.raises(ValueError, match=r"label_map values \[0, 2\] must be exactly the class indices 0..1"):
        ClassificationTask("jc", "jets", "x", class_names=["a", "b"], label_map={0: 0, 5: 2})


def test_output_count_must_match_classes() -> None:
    task = ClassificationTask("jc", "jets", "flavour_label", dense_config=DenseConfig(output_size=4))
    with pytest.raises(ValueError, match=r"Task 'jc'.*output_size=4.*3 outputs, one per class \['bjets'"):
        task.build(8)


def test_unknown_label_without_class_names() -> None:
    task = ClassificationTask("jc", "jets", "myLabel")
    with pytest.raises(
        ValueError, match="no class_names given, 'myLabel' is not a known label.*Add class_names"
    ):
        task.build(8)


def test_class_names_from_file_attributes() -> None:
    task = ClassificationTask("jc", "jets", "myLabel")
    task.resolve_class_names({"myLabel": ["sig", "bkg"]})
    assert built(task).output_size == 2
    # names given in the config win over the file
    task = ClassificationTask("jc", "jets", "myLabel", class_names=["a", "b", "c"])
    task.resolve_class_names({"myLabel": ["sig", "bkg"]})
    assert task.class_names == ["a", "b", "c"]


def test_reduction_must_be_none() -> None:
    with pytest.raises(ValueError, match="reduction='none'.*Set `reduction: none`"):
        ClassificationTask("jc", "jets", "flavour_label", loss=nn.CrossEntropyLoss())


def test_ignore_index_set_to_minus_one() -> None:
    task = ClassificationTask("o", "tracks", "ftagTruthOriginLabel", loss=nn.NLLLoss(reduction="none"))
    assert task.loss_fn.ignore_index == -1


def test_label_map_remaps_raw_values() -> None:
    task = ClassificationTask(
        "jc", "jets", "HadronConeExclTruthLabelID", class_names=["u", "c", "b"], label_map={0: 0, 4: 1, 5: 2}
    )
    (spec,) = task.required_labels()
    raw = np.array([5, 0, 4, 5, 0], dtype=np.float32)
    mapped = map_labels(raw, spec, "jets", "f.h5", None)  # type: ignore[arg-type]
    np.testing.assert_array_equal(mapped, [2, 0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"values \[15\] that are not in the label map"):
        map_labels(np.array([15.0], dtype=np.float32), spec, "jets", "f.h5", None)  # type: ignore[arg-type]


def test_padding_and_unknown_labels_are_ignored() -> None:
    task = built(ClassificationTask("o", "tracks", "ftagTruthOriginLabel"))
    out = torch.randn(2, 4, 8)
    target = torch.tensor([[2, 3, 0, 0], [1, -1, 5, 0]])
    pad = torch.tensor([[False, False, True, True], [False, False, False, True]])
    loss = task.loss(out, {"tracks": {"ftagTruthOriginLabel": target}}, pad)
    keep = torch.tensor([[True, True, False, False], [True, False, True, False]])
    expected = nn.functional.cross_entropy(out[keep], target[keep])
    torch.testing.assert_close(loss, expected)
    # garbage in padded or ignored slots does not change the loss
    out2 = out.clone()
    out2[~keep] = 1e3
    target2 = target.masked_fill(pad, 7)
    torch.testing.assert_close(task.loss(out2, {"tracks": {"ftagTruthOriginLabel": target2}}, pad), expected)


def test_sample_weights_normalised_as_salt() -> None:
    # salt: CrossEntropyLoss(weight=class_weights, reduction="none") * sample_weight, then .mean()
    task = built(ClassificationTask("jc", "jets", "is_b", class_names=["u", "b"], sample_weight="w"))
    task.set_class_weights([1.0, 4.0])
    out = torch.zeros(4, 2)  # every jet's loss is ln 2
    target = torch.tensor([0, 1, -1, 1])  # the ignored jet counts in the mean with loss 0
    w = torch.tensor([1.0, 2.0, 5.0, 3.0])
    loss = task.loss(out, {"jets": {"is_b": target, "w": w}}, None)
    # (1*1 + 4*2 + 0 + 4*3) ln2 / 4 jets = 5.25 ln 2, not divided by the weight sum
    torch.testing.assert_close(loss, torch.tensor(5.25 * np.log(2.0), dtype=torch.float32))
    assert [s.name for s in task.required_labels()] == ["is_b", "w"]
    assert task.required_labels()[1] == LabelSpec("w", "value")


def test_sample_weights_of_constituents_count_real_constituents() -> None:
    task = built(ClassificationTask("o", "tracks", "lab", class_names=["a", "b"], sample_weight="w"))
    out = torch.zeros(2, 3, 2)
    target = torch.tensor([[0, 1, 0], [1, 0, 0]])
    pad = torch.tensor([[False, False, True], [False, True, True]])
    labels = {"tracks": {"lab": target, "w": torch.full((2, 3), 2.0)}}
    # 3 real tracks of weight 2 and loss ln 2: 6 ln2 / 3
    torch.testing.assert_close(
        task.loss(out, labels, pad), torch.tensor(2 * np.log(2.0), dtype=torch.float32)
    )


def test_class_dict_weights() -> None:
    task = built(ClassificationTask("jc", "jets", "flavour_label", use_class_dict=True))
    task.set_class_weights([1.0, 2.0, 4.0])
    out = torch.randn(6, 3)
    target = torch.tensor([0, 1, 2, 2, 1, 0])
    expected = nn.functional.cross_entropy(out, target, weight=torch.tensor([1.0, 2.0, 4.0]))
    torch.testing.assert_close(task.loss(out, {"jets": {"flavour_label": target}}, None), expected)
    with pytest.raises(ValueError, match="class dict has 2 weights.*3 classes"):
        task.set_class_weights([1.0, 2.0])


def test_binary_bce_single_output() -> None:
    task = ClassificationTask(
        "sig", "jets", "is_b", class_names=["other", "b"], loss=nn.BCEWithLogitsLoss(reduction="none")
    )
    built(task)
    assert task.output_size == 1
    out = torch.randn(4, 1)
    target = torch.tensor([1, 0, -1, 1])
    loss = task.loss(out, {"jets": {"is_b": target}}, None)
    keep = target >= 0
    expected = nn.functional.binary_cross_entropy_with_logits(out[keep, 0], target[keep].float())
    torch.testing.assert_close(loss, expected)
    preds = task.predictions(out, "m")
    torch.testing.assert_close(preds["m_pb"], torch.sigmoid(out[:, 0]))
    torch.testing.assert_close(preds["m_pother"] + preds["m_pb"], torch.ones(4))
    with pytest.raises(ValueError, match="BCEWithLogitsLoss trains one output.*3 class names"):
        ClassificationTask(
            "s", "jets", "x", class_names=["a", "b", "c"], loss=nn.BCEWithLogitsLoss(reduction="none")
        )


def test_prediction_names_follow_salt() -> None:
    task = built(ClassificationTask("jc", "jets", "flavour_label"))
    preds = task.predictions(torch.randn(3, 3), "GN2")
    assert list(preds) == ["GN2_pb", "GN2_pc", "GN2_pu"]
    torch.testing.assert_close(sum(preds.values()), torch.ones(3))


def test_label_map_with_class_dict_from_halite_prep(tmp_path: Path) -> None:
    # halite prep counts the raw label values of the file: 6 light (0), 3 c (4), 1 b (5)
    path = tmp_path / "train.h5"
    raw = np.array([0] * 6 + [4] * 3 + [5], dtype=np.int32)
    jets = np.zeros(raw.size, dtype=[("pt", "f4"), ("HadronConeExclTruthLabelID", "i4")])
    jets["pt"], jets["HadronConeExclTruthLabelID"] = np.arange(raw.size), raw
    with h5py.File(path, "w") as f:
        f.create_dataset("jets", data=jets)
    (tmp_path / "vars.yaml").write_text("jets: [pt]\n")
    args = ["prep", "--file", str(path), "--variables", str(tmp_path / "vars.yaml")]
    assert main([*args, "--labels", "jets:HadronConeExclTruthLabelID"]) == 0
    class_dict = tmp_path / "class_dict.yaml"
    assert len(yaml.safe_load(class_dict.read_text())["jets"]["HadronConeExclTruthLabelID"]) == 6

    def build(task: ClassificationTask) -> ClassificationTask:
        MultiTask().build_tasks([task], lambda t: (4, 0), class_dict=str(class_dict))
        return task

    task = build(
        ClassificationTask(
            "jc", "jets", "HadronConeExclTruthLabelID", class_names=["ujets", "cjets", "bjets"],
            label_map={0: 0, 4: 1, 5: 2}, use_class_dict=True,
        )
    )  # fmt: skip
    # w_k = N / n_k normalised to a smallest weight of 1: 10/6, 10/3, 10/1 -> 1, 2, 6
    torch.testing.assert_close(task.class_weights, torch.tensor([1.0, 2.0, 6.0]))
    # two raw values merged into one class: 6 light vs 4 heavy -> 1, 1.5
    task = build(
        ClassificationTask(
            "jc", "jets", "HadronConeExclTruthLabelID", class_names=["light", "heavy"],
            label_map={0: 0, 4: 1, 5: 1}, use_class_dict=True,
        )
    )  # fmt: skip
    torch.testing.assert_close(task.class_weights, torch.tensor([1.0, 1.5]))
    with pytest.raises(ValueError, match=r"neither one per class.*nor one per raw value 0..15"):
        build(
            ClassificationTask(
                "jc", "jets", "HadronConeExclTruthLabelID", class_names=["u", "tau"],
                label_map={0: 0, 15: 1}, use_class_dict=True,
            )
        )  # fmt: skip


def test_probability_names_are_ftags_px() -> None:
    # salt: Flavours[c].px for ftag flavours, else p<c> (also for other names ending in "jets")
    names = ["bjets", "cjets", "ujets", "taujets", "singlebjets", "ghostudjets", "hbb", "Pileup", "myjets"]
    task = ClassificationTask("jc", "jets", "x", class_names=names)
    assert task.output_columns("GN2") == [
        "GN2_pb", "GN2_pc", "GN2_pu", "GN2_ptau", "GN2_pb", "GN2_pud", "GN2_phbb", "GN2_pPileup", "GN2_pmyjets",
    ]  # fmt: skip
