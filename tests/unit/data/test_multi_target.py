"""salt's data.multi_target: conditional targets built from a batch's labels."""

from __future__ import annotations

import pytest
import torch

from halite.data.multi_target import MultiTarget, apply, read_specs
from halite.data.specs import LabelSpec

TAU = MultiTarget("jets", "HadronConeExclTruthLabelID", "==", 15, "HadronConeExclTruthLabelPt",
                  custom_target="pt_label_handle")  # fmt: skip
OTHER = MultiTarget("jets", "HadronConeExclTruthLabelID", "!=", 15, "pt", custom_target="pt_label_handle")


def test_custom_target_takes_the_source_where_its_condition_holds() -> None:
    labels = {"jets": {"HadronConeExclTruthLabelID": torch.tensor([15, 5, 0]),
                       "HadronConeExclTruthLabelPt": torch.tensor([1.0, 2.0, 3.0]),
                       "pt": torch.tensor([10.0, 20.0, 30.0])}}  # fmt: skip
    apply(labels, [TAU])
    out = labels["jets"]["pt_label_handle"]
    assert out[0] == 1.0 and torch.isnan(out[1:]).all()  # NaN where no condition holds
    apply(labels, [OTHER])
    assert labels["jets"]["pt_label_handle"].tolist() == [1.0, 20.0, 30.0]


def test_target_replaces_an_existing_label() -> None:
    entry = MultiTarget("jets", "flavour", ">=", 1, "b", target="a")
    labels = {"jets": {"flavour": torch.tensor([0, 1, 2]), "a": torch.zeros(3), "b": torch.ones(3)}}
    apply(labels, [entry])
    assert labels["jets"]["a"].tolist() == [0.0, 1.0, 1.0]


def test_read_specs_reads_the_fields_a_custom_target_is_built_from() -> None:
    specs = read_specs({"jets": [LabelSpec("pt_label_handle", "value")]}, [TAU, OTHER])
    assert [s.name for s in specs["jets"]] == [
        "HadronConeExclTruthLabelID",
        "HadronConeExclTruthLabelPt",
        "pt",
    ]
    untouched = read_specs({"jets": [LabelSpec("pt", "value")]}, [TAU])  # no task reads the custom target
    assert [s.name for s in untouched["jets"]] == ["pt"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"custom_target": "x", "target": "y"}, "exactly one"), ({}, "exactly one"),
     ({"custom_target": "x", "opp": "=~"}, "opp '=~'")],
)  # fmt: skip
def test_bad_entries_say_what_to_fix(kwargs: dict[str, str], match: str) -> None:
    args = {"input_name": "jets", "sel_label": "l", "opp": "==", "value": 1.0, "source": "s", **kwargs}
    with pytest.raises(ValueError, match=match):
        MultiTarget(**args)  # type: ignore[arg-type]
