"""``halite.io.read_yaml``: libyaml's parser where PyYAML has it, with PyYAML's values and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from halite import io
from halite.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
#: what YAML 1.1 resolves specially: anchors and merge keys, PyYAML's '1.0e5' string, bools, nulls, dates
EDGES = """
base: &base {lr: 1.0e-3, steps: 10, name: a}
run:
  <<: *base
  name: b
numbers: [1.0e5, 1e-3, 0x1F, 017, .inf, -.Inf, .nan, 1_000]
flags: [yes, No, on, OFF, true, ~, null, '']
when: 2026-12-02
at: 2026-12-02 18:00:00
text: |
  two
  lines
folded: >
  one
  line
unicode: "\u00e9t\u00e9 \U0001f600"
"""


def test_the_values_are_pyyaml_safe_load_s(tmp_path: Path) -> None:
    if yaml.__with_libyaml__:
        assert io._FAST_LOADER is yaml.CSafeLoader  # the fast parser is the one used
    edges = tmp_path / "edges.yaml"
    edges.write_text(EDGES, encoding="utf-8")
    files = [edges, *sorted((ROOT / "configs").rglob("*.yaml"))]
    assert len(files) > 10
    for path in files:
        expected = yaml.safe_load(path.read_text(encoding="utf-8"))
        got = io.read_yaml(path)
        assert got == expected or (path == edges and repr(got) == repr(expected)), path  # nan != nan


def test_a_refused_document_gets_pyyaml_s_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("trainer:\n  max_epochs: [1\n")
    with broken.open() as f, pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(f)
    with pytest.raises(ConfigError) as err:
        io.read_yaml(broken)
    assert str(pure.value) in str(err.value) and "line 2, column 15" in str(err.value)
