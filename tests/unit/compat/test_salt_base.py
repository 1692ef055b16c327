"""halite.compat.salt_base: base.yaml defaults merged as salt's CLI merges configs and overrides."""

from __future__ import annotations

from halite.compat.salt_base import SALT_BASE, apply_salt_defaults, merge, set_dotted


def test_mappings_merge_lists_and_scalars_replace() -> None:
    out = merge({"a": {"x": 1, "y": [1, 2]}, "b": 1}, {"a": {"y": [3]}, "b": 2})
    assert out == {"a": {"x": 1, "y": [3]}, "b": 2}


def test_a_new_class_path_replaces_its_init_args() -> None:
    base = {"logger": {"class_path": "A", "init_args": {"project": "salt"}}}
    assert merge(base, {"logger": {"class_path": "B"}}) == {"logger": {"class_path": "B"}}
    same = merge(base, {"logger": {"class_path": "A", "init_args": {"online": False}}})
    assert same["logger"]["init_args"] == {"project": "salt", "online": False}


def test_base_applies_to_fit_and_test_only_and_is_not_mutated() -> None:
    out = apply_salt_defaults({"data": {"batch_size": 5}})
    assert out["data"]["batch_size"] == 5 and out["data"]["num_workers"] == 8
    assert SALT_BASE["data"]["batch_size"] == 1000
    assert apply_salt_defaults({"name": "x"}, subcommand="predict") == {"name": "x"}
    assert len(out["trainer"]["callbacks"]) == 5


def test_dotted_overrides_read_values_as_yaml() -> None:
    c: dict = {"trainer": {"logger": {"class_path": "C"}}}
    set_dotted(c, "trainer.logger.init_args.online", "False")
    set_dotted(c, "data.num_train", "500")
    assert c == {
        "trainer": {"logger": {"class_path": "C", "init_args": {"online": False}}},
        "data": {"num_train": 500},
    }
