"""The registry: short names per kind, built from the packages' re-exports."""

from __future__ import annotations

import importlib

import pytest

from halite import registry


def test_every_kind_has_entries_and_their_short_paths_import() -> None:
    for kind in registry.kinds():
        entries = registry.entries(kind)
        assert entries, f"no {kind} registered"
        for e in entries:
            module, name = e.path.rsplit(".", 1)
            assert getattr(importlib.import_module(module), name) is e.cls
            assert e.doc, f"{e.path} needs a docstring"


def test_known_blocks_are_registered_with_short_paths() -> None:
    assert registry.get("encoders", "TransformerEncoder").__name__ == "TransformerEncoder"
    paths = {e.path for e in registry.entries()}
    expected = {
        "halite.nn.TransformerEncoder",
        "halite.nn.GlobalAttentionPooling",
        "halite.nn.GATv2Attention",
        "halite.nn.PET2",
        "halite.nn.lumin.FullyConnected",
        "halite.nn.lumin.InteractionNet",
        "halite.nn.lumin.ClassRegMulti",
        "halite.tasks.ClassificationTask",
        "halite.models.Model",
        "halite.continual.HeadsTIL",
        "halite.continual.EWC",
    }
    assert expected <= paths
    heads = {e.name for e in registry.entries("lumin-heads")}
    assert {"CatEmbHead", "MultiHead", "RecurrentHead", "ConvHead", "LorentzBoostNet"} <= heads
    assert not heads & {"AbsHead", "AbsMatrixHead", "AbsConv1dHead"}  # abstract bases


def test_unknown_names_list_the_choices_with_did_you_mean() -> None:
    with pytest.raises(KeyError, match=r"Unknown kind 'encoder'. Did you mean 'encoders'\?.*pooling"):
        registry.entries("encoder")
    with pytest.raises(KeyError, match=r"Did you mean 'TransformerEncoder'\?.*EdgeTransformerEncoder"):
        registry.get("encoders", "TransformerEncodr")
