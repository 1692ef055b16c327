"""Typed configuration of ROOT / parquet inputs (the ``data.columnar`` option group).

Example, CMS PFNano (one event per entry, jets linked to PF candidates)::

    columnar:
      layout: event
      tree: Events
      jet_collection: Jet
      selection: "(Jet_pt > 15) & (abs(Jet_eta) < 2.5)"
      new_variables:
        rel_pt: PFCands_pt / Jet_pt
      labels:
        flavour_label: {branch: Jet_hadronFlavour, label_map: {5: 0, 4: 1, 0: 2}}
      streams:
        jets: {branches: [Jet_pt, Jet_eta]}
        tracks:
          branches: [rel_pt, PFCands_eta, PFCands_d0]
          max_length: 40
          sort_by: PFCands_pt
          collection: PFCands
          jet_index: JetPFCands_jetIdx
          constituent_index: JetPFCands_pFCandsIdx

With ``layout: jet`` (weaver / JetClass ntuples) every entry is one jet: scalar
branches belong to the global object and jagged branches to constituent streams.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from halite.data.expressions import Expression, compile_expression
from halite.errors import DataError


@dataclass
class StreamConfig:
    """Fields of one stream, built from branches.

    Parameters
    ----------
    branches
        Field names of the stream: branch names or ``new_variables``. They are the names
        ``data.variables`` and the task labels refer to.
    max_length
        Constituent streams: slots kept per jet (padding / truncation width). Required for
        constituent streams, unused for the global object.
    sort_by
        Constituent streams: order constituents by this field (descending unless
        ``sort_ascending``) before truncation.
    sort_ascending
        Sort in increasing order.
    collection
        Event layout: prefix of the constituent collection, e.g. ``PFCands`` for
        ``PFCands_pt``.
    jet_index
        Event layout: link branch holding the jet index of each link entry
        (``JetPFCands_jetIdx``). Branches with the same prefix (``JetPFCands_*``) are
        per-link quantities.
    constituent_index
        Event layout: link branch holding the index into ``collection``
        (``JetPFCands_pFCandsIdx``).
    """

    branches: list[str]
    max_length: int | None = None
    sort_by: str | None = None
    sort_ascending: bool = False
    collection: str | None = None
    jet_index: str | None = None
    constituent_index: str | None = None

    @property
    def link_prefix(self) -> str | None:
        """Prefix of per-link branches (``JetPFCands`` for ``JetPFCands_jetIdx``)."""
        if self.jet_index is None or "_" not in self.jet_index:
            return None
        return self.jet_index.rsplit("_", 1)[0]


@dataclass
class LabelConfig:
    """A label field built from one branch or from several boolean branches (one-hot).

    Parameters
    ----------
    branch
        Integer branch (or new variable) holding the raw label.
    one_hot
        Boolean branches, one per class in class order (weaver style); exactly one must be
        true per jet.
    label_map
        Raw value -> class index, applied to ``branch``; values not in the map are an error
        (select those jets out).
    class_names
        Class names in index order; written as the dataset attribute named like the label
        by ``halite convert`` (salt convention).
    stream
        Stream the label belongs to (default: the global object).
    """

    branch: str | None = None
    one_hot: list[str] | None = None
    label_map: dict[int, int] | None = None
    class_names: list[str] | None = None
    stream: str | None = None

    def source_names(self) -> list[str]:
        return [self.branch] if self.branch is not None else list(self.one_hot or [])


@dataclass
class ColumnarConfig:
    """How ROOT TTrees or parquet files become halite streams.

    Parameters
    ----------
    streams
        Stream name -> fields and padding; keys match ``data.variables``.
    layout
        ``jet``: one jet per entry (weaver / JetClass ntuples); ``event``: one event per
        entry with a jagged jet collection (NanoAOD / PFNano), each selected jet one example.
    tree
        TTree name in ROOT files (ignored for parquet).
    jet_collection
        Event layout: prefix of jet branches (``Jet`` for ``Jet_pt``). Other non-collection
        branches are per-event scalars, broadcast to the event's jets.
    selection
        Boolean expression keeping jets (e.g. ``"Jet_pt > 20"``), evaluated per jet.
    new_variables
        Name -> expression of derived variables (evaluated in order; may use earlier ones).
    labels
        Label field name -> how it is built.
    step_size
        Entries per read for ``halite convert`` and ``halite prep``.
    """

    streams: dict[str, StreamConfig]
    layout: Literal["jet", "event"] = "jet"
    tree: str = "Events"
    jet_collection: str = "Jet"
    selection: str | None = None
    new_variables: dict[str, str] = field(default_factory=dict)
    labels: dict[str, LabelConfig] = field(default_factory=dict)
    step_size: int = 50_000

    def __post_init__(self) -> None:
        # YAML loaders that bypass jsonargparse hand in plain dicts
        self.streams = {k: _build(StreamConfig, v, f"columnar.streams.{k}") for k, v in self.streams.items()}
        self.labels = {k: _build(LabelConfig, v, f"columnar.labels.{k}") for k, v in self.labels.items()}
        if self.step_size < 1:
            msg = f"data.columnar.step_size must be >= 1, got {self.step_size}."
            raise DataError(msg)
        for name, label in self.labels.items():
            if (label.branch is None) == (label.one_hot is None):
                msg = f"data.columnar.labels.{name}: give exactly one of 'branch' or 'one_hot'."
                raise DataError(msg)
            if label.one_hot is not None and label.label_map is not None:
                msg = f"data.columnar.labels.{name}: label_map applies to 'branch' labels only."
                raise DataError(msg)
        clash = set(self.new_variables) & set(self.labels)
        if clash:
            msg = f"data.columnar: {sorted(clash)} are defined both in new_variables and labels; rename one."
            raise DataError(msg)
        for name, stream in self.streams.items():
            if stream.max_length is not None and stream.max_length < 1:
                msg = f"data.columnar.streams.{name}.max_length must be >= 1, got {stream.max_length}."
                raise DataError(msg)
        # parse every expression now so that a bad one fails before any file is opened
        self._check_cycles(self.expressions())
        self.selection_expression()

    @staticmethod
    def _check_cycles(expressions: dict[str, Expression]) -> None:
        """Reject new variables that depend on themselves."""

        def visit(name: str, path: list[str]) -> None:
            if name in path:
                msg = f"data.columnar.new_variables: circular definition {' -> '.join([*path, name])}."
                raise DataError(msg)
            for dep in expressions[name].names if name in expressions else ():
                visit(dep, [*path, name])

        for name in expressions:
            visit(name, [])

    def expressions(self) -> dict[str, Expression]:
        """Compiled ``new_variables`` (in order), keyed by name."""
        return {name: compile_expression(src) for name, src in self.new_variables.items()}

    def selection_expression(self) -> Expression | None:
        return None if self.selection is None else compile_expression(self.selection)

    def check(self, global_object: str) -> None:
        """Check the streams against the global object's name and the layout."""
        if global_object not in self.streams:
            msg = (
                f"data.columnar.streams has no entry for the global object '{global_object}' "
                f"(streams: {sorted(self.streams)}). Add `{global_object}: {{branches: [...]}}`."
            )
            raise DataError(msg)
        for name, stream in self.streams.items():
            if name == global_object:
                continue
            if stream.max_length is None:
                msg = f"data.columnar.streams.{name}: constituent streams need max_length (slots per jet)."
                raise DataError(msg)
            if self.layout == "event" and None in (
                stream.collection,
                stream.jet_index,
                stream.constituent_index,
            ):
                msg = (
                    f"data.columnar.streams.{name}: the event layout needs collection, jet_index and "
                    f"constituent_index (e.g. PFCands, JetPFCands_jetIdx, JetPFCands_pFCandsIdx)."
                )
                raise DataError(msg)
        for label, cfg in self.labels.items():
            owner = cfg.stream or global_object
            if owner not in self.streams:
                msg = f"data.columnar.labels.{label}.stream '{owner}' is not one of {sorted(self.streams)}."
                raise DataError(msg)

    def fields(self, stream: str, global_object: str) -> list[str]:
        """All fields of ``stream``: its branches, then the labels assigned to it."""
        labels = [k for k, v in self.labels.items() if (v.stream or global_object) == stream]
        return list(dict.fromkeys([*self.streams[stream].branches, *labels]))


def _build(cls: type, value: Any, where: str) -> Any:
    """Build dataclass ``cls`` from a mapping, rejecting unknown keys (typos)."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        msg = f"data.{where} must be a mapping of options, got {value!r}."
        raise DataError(msg)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - names)
    if unknown:
        msg = f"data.{where}: unknown option(s) {unknown}; valid options are {sorted(names)}."
        raise DataError(msg)
    return cls(**value)


def columnar_config(value: Any) -> ColumnarConfig:
    """A :class:`ColumnarConfig` from a parsed YAML mapping (or one already built)."""
    return _build(ColumnarConfig, value, "columnar")
