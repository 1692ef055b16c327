"""Offline benchmarks (Split/Permuted Digits, jet sequences) and the backbones that read them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from halite.continual.backbones import JetBackbone, MLPBackbone
from halite.continual.digits import DigitsClassTask, PermutationTask, PermutedDigits, SplitDigits
from halite.continual.jets import DetectorCondition, JetSequence, JetTask
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import MeanPooling
from halite.nn.sets.transformer import TransformerEncoder


def test_split_digits_tasks_hold_their_digits_with_local_labels() -> None:
    bench = SplitDigits([DigitsClassTask([3, 1]), DigitsClassTask([7], name="seven")], test_fraction=0.25)
    t0, t1 = bench.tasks()
    assert t0.name == "digits_3_1" and t0.class_names == ["3", "1"] and t1.name == "seven"
    _, y = load_digits(return_X_y=True)
    assert len(t0.train) + len(t0.test) == int(np.isin(y, [1, 3]).sum())
    assert len(t1.train) + len(t1.test) == int((y == 7).sum())
    assert set(t0.train.y.tolist()) == {0, 1} and set(t1.test.y.tolist()) == {0}
    assert len(t0.test) / (len(t0.train) + len(t0.test)) == pytest.approx(0.25, abs=0.02)
    assert t0.train.inputs["digits"].shape[1] == 64
    assert float(t0.train.inputs["digits"].max()) <= 1.0
    assert set(t0.train.task_ids.tolist()) == {1} and set(t1.train.task_ids.tolist()) == {2}  # ids from 1


def test_split_digits_errors() -> None:
    with pytest.raises(ValueError, match="appear twice"):
        SplitDigits([DigitsClassTask([0, 1]), DigitsClassTask([1, 2])])
    with pytest.raises(ValueError, match="digits 0-9"):
        SplitDigits([DigitsClassTask([0, 12])])
    with pytest.raises(ValueError, match="at least one task"):
        SplitDigits([])
    with pytest.raises(ValueError, match="test_fraction"):
        SplitDigits([DigitsClassTask([0])], test_fraction=1.5).tasks()


def test_permuted_digits_applies_a_fixed_permutation_per_task() -> None:
    t0, t1 = PermutedDigits([PermutationTask(), PermutationTask(seed=3)]).tasks()
    assert (t0.name, t1.name) == ("identity", "perm_3")
    perm = np.random.default_rng(3).permutation(64)
    torch.testing.assert_close(t1.train.inputs["digits"], t0.train.inputs["digits"][:, perm])
    torch.testing.assert_close(t1.test.y, t0.test.y)
    assert t0.class_names == [str(d) for d in range(10)]


def test_detector_condition_changes_only_its_variables() -> None:
    variables = ["d0", "dphi", "numberOfInnermostPixelLayerHits"]
    x = np.ones((50, 4, 3), dtype=np.float32)
    DetectorCondition(ip_scale=2.0, innermost_hit_loss=0.5).apply(x, variables, np.random.default_rng(0))
    assert np.all(x[..., 0] == 2.0) and np.all(x[..., 1] == 1.0)
    lost = float((x[..., 2] == 0).mean())
    assert 0.35 < lost < 0.65
    with pytest.raises(ValueError, match="innermost_hit_loss"):
        DetectorCondition(innermost_hit_loss=2.0)


def test_jet_sequence_reads_disjoint_class_subsets(tiny_data: dict[str, Path]) -> None:
    bench = JetSequence(
        str(tiny_data["train"]),
        str(tiny_data["test"]),
        str(tiny_data["norm_dict"]),
        [
            JetTask("b_vs_light", ["bjets", "ujets"]),
            JetTask("charm", ["cjets"], DetectorCondition(ip_scale=1.5)),
        ],
        num_train=400,
        num_test=150,
        num_tracks=20,
    )
    t0, t1 = bench.tasks()
    assert t0.class_names == ["bjets", "ujets"] and set(t0.train.y.tolist()) == {0, 1}
    assert set(t1.train.y.tolist()) == {0}
    assert 100 < len(t0.train) < 400 and 0 < len(t1.train) < 200  # only the task's flavours
    tracks, mask = t0.train.inputs["tracks"], t0.train.pad_masks["tracks"]
    assert tracks.shape[:2] == mask.shape and tracks.shape[1] <= 20
    assert float(tracks[mask].abs().sum()) == 0.0
    info = bench.input_info()
    assert info.global_object == "jets" and "tracks" in info.variables

    backbone = JetBackbone(
        [InitNetConfig("tracks")], TransformerEncoder(embed_dim=16, num_layers=1, num_heads=2), MeanPooling()
    )
    backbone.build(info)
    batch = t0.train.take(torch.arange(5))
    assert backbone(batch.inputs, batch.pad_masks).shape == (5, backbone.out_features)


def test_jet_sequence_errors(tiny_data: dict[str, Path]) -> None:
    args = (str(tiny_data["train"]), str(tiny_data["test"]), str(tiny_data["norm_dict"]))
    with pytest.raises(ValueError, match="classes \\['tjets'\\] are not among"):
        JetSequence(*args, [JetTask("x", ["tjets"])])
    bench = JetSequence(*args, [JetTask("a"), JetTask("b")], num_train=1000, num_test=100)
    with pytest.raises(ValueError, match="needs jets 1000:2000 but the file holds 1500"):
        bench.tasks()


def test_backbone_errors() -> None:
    from halite.continual.data import InputInfo

    with pytest.raises(ValueError, match="input_name 'pixels' is not a stream"):
        MLPBackbone("pixels").build(InputInfo({"digits": ["a"]}))
    with pytest.raises(RuntimeError, match="before build"):
        MLPBackbone()({}, {})
    jet = JetBackbone([InitNetConfig("tracks")], TransformerEncoder(8, 1, 2), MeanPooling())
    with pytest.raises(ValueError, match="needs a jet benchmark"):
        jet.build(InputInfo({"digits": ["a"]}))


def test_jet_task_with_its_own_files_reads_from_their_start(tiny_data: dict[str, Path]) -> None:
    train, test = str(tiny_data["train"]), str(tiny_data["test"])
    bench = JetSequence(
        train,
        test,
        str(tiny_data["norm_dict"]),
        [JetTask("shared"), JetTask("shared_slice"), JetTask("own", train_file=train, test_file=test)],
        num_train=200,
        num_test=100,
        num_tracks=10,
    )
    shared, second, own = bench.tasks()
    torch.testing.assert_close(own.train.inputs["jets"], shared.train.inputs["jets"])
    torch.testing.assert_close(own.test.y, shared.test.y)
    assert not torch.equal(second.train.inputs["jets"][:50], shared.train.inputs["jets"][:50])
    assert set(own.train.task_ids.tolist()) == {3}  # the third task, ids from 1
