"""Conditional targets (salt's ``data.multi_target``): a label taken from one field or another per entry.

salt 0.13's ``SaltDataset(multi_target=...)``: each entry sets ``target`` (an existing label, replaced)
or ``custom_target`` (a new label, NaN where no entry's condition holds) to the value of ``source``
wherever ``sel_label <opp> value`` holds, applied in order after the labels are read. E.g. a jet
pt target that is the truth-hadron pt for taus and the jet pt otherwise::

    multi_target:
      - {input_name: jets, sel_label: HadronConeExclTruthLabelID, opp: '==', value: 15,
         custom_target: pt_label_handle, source: HadronConeExclTruthLabelPt}
      - {input_name: jets, sel_label: HadronConeExclTruthLabelID, opp: '!=', value: 15,
         custom_target: pt_label_handle, source: pt}
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

from halite.data.specs import LabelSpec
from halite.errors import DataError

#: salt's operators (``salt.data.datasets.OPERATORS``)
OPERATORS: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class MultiTarget:
    """One conditional replacement: ``label = where(sel_label <opp> value, source, label)``.

    Parameters
    ----------
    input_name
        Stream of the labels.
    sel_label
        Field the condition reads.
    opp
        Comparison, one of ``==, !=, <, <=, >, >=``.
    value
        Right-hand side of the comparison.
    source
        Field whose value the label takes where the condition holds.
    target
        An existing label (read from the file) to replace; give this or ``custom_target``.
    custom_target
        A new label (NaN where no entry's condition holds: masked out of regression losses).
    """

    input_name: str
    sel_label: str
    opp: str
    value: float
    source: str
    target: str | None = None
    custom_target: str | None = None

    def __post_init__(self) -> None:
        if (self.target is None) == (self.custom_target is None):
            msg = (
                f"multi_target entry {self}: give exactly one of `target` (replace an existing label) or "
                f"`custom_target` (create a new one)."
            )
            raise DataError(msg)
        if self.opp not in OPERATORS:
            msg = f"multi_target entry {self}: opp '{self.opp}' is unknown; use one of {list(OPERATORS)}."
            raise DataError(msg)

    @property
    def label(self) -> str:
        """The label this entry writes."""
        return self.custom_target or str(self.target)


def read_specs(
    labels: Mapping[str, Sequence[LabelSpec]], entries: Sequence[MultiTarget]
) -> dict[str, list[LabelSpec]]:
    """The labels to read from the files: custom targets replaced by the fields they are built from."""
    custom = {(e.input_name, e.custom_target) for e in entries if e.custom_target}
    out = {s: [lab for lab in specs if (s, lab.name) not in custom] for s, specs in labels.items()}
    for e in entries:
        if (e.input_name, e.label) not in {(s, lab.name) for s, specs in labels.items() for lab in specs}:
            continue  # no task reads this label
        stream = out.setdefault(e.input_name, [])
        names = {lab.name for lab in stream}
        for field in (e.sel_label, e.source, e.target):
            if field is not None and field not in names:
                stream.append(LabelSpec(field, "value"))
                names.add(field)
    return out


def apply(labels: dict[str, dict[str, torch.Tensor]], entries: Sequence[MultiTarget]) -> None:
    """Build the custom targets and apply the replacements in order, in place on a batch's labels."""
    for e in entries:
        stream = labels.get(e.input_name)
        if stream is None or e.sel_label not in stream or e.source not in stream:
            continue  # no task reads this stream's label (read_specs added nothing)
        source = stream[e.source].float()
        if e.custom_target is not None and e.custom_target not in stream:
            stream[e.custom_target] = torch.full_like(source, float("nan"))
        mask = OPERATORS[e.opp](stream[e.sel_label], e.value)
        stream[e.label] = torch.where(mask, source, stream[e.label].float())
