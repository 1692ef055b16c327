"""Derived inputs of HDF5 streams from config expressions (``data.new_variables``).

The HDF5 counterpart of ``data.columnar.new_variables``, with the same expression language
(:mod:`halite.data.expressions`)::

    data:
      new_variables:
        jets:
          log_pt: log(pt)
        particles:
          log_pt: log(pt)
          log_pt_rel: log(pt / jets_pt)
          dR: hypot(deta, dphi)

Inside the expressions of a stream, a bare name is a field of that stream's dataset (or another
new variable of the stream, in any order), ``<stream>_<field>`` the same field spelled out, and
``<global>_<field>`` a field of the global object's dataset, e.g. ``jets_pt``: for a constituent
it is the value of its jet (the global object's new variables are not visible to other streams). New variables are used by name in ``data.variables``
(and as labels); the reader (:mod:`halite.data.readers`) and the norm-dict statistics
(:mod:`halite.data.prep`) evaluate them on whole blocks of records, padded ``(n, N)`` or packed
``(T,)`` valid constituents, never per jet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from halite.data.expressions import Expression, ExpressionError, compile_expression
from halite.errors import DataError


@dataclass(frozen=True)
class GlobalRef:
    """The global object as seen from the expressions: its stream name (the prefix) and dataset."""

    name: str
    dataset: str


def compile_new_variables(
    new_variables: Mapping[str, Mapping[str, str]] | None, streams: Mapping[str, Any]
) -> dict[str, dict[str, Expression]]:
    """Compile ``data.new_variables`` (stream -> name -> expression), naming the entry on error.

    Raises
    ------
    DataError
        For a stream not in ``streams``, a malformed entry, or an expression that does not parse.
    """
    out: dict[str, dict[str, Expression]] = {}
    for stream, entries in (new_variables or {}).items():
        if stream not in streams:
            msg = f"data.new_variables names stream '{stream}', which is not in data.variables {sorted(streams)}."
            raise DataError(msg)
        if not isinstance(entries, Mapping):
            msg = f"data.new_variables.{stream} must map names to expressions, e.g. {{log_pt: log(pt)}}; got {entries!r}."
            raise DataError(msg)
        compiled: dict[str, Expression] = {}
        for name, source in entries.items():
            try:
                compiled[str(name)] = compile_expression(source)
            except ExpressionError as err:
                msg = f"data.new_variables.{stream}.{name}: {err}"
                raise ExpressionError(msg) from err
        out[str(stream)] = compiled
    return out


class RecordNamespace(Mapping[str, Any]):
    """Fields and new variables of one block of records, evaluated lazily (and cached).

    Parameters
    ----------
    records
        Structured records of the stream: ``(n,)`` global, ``(n, N)`` padded or ``(T,)`` packed.
    stream
        Stream name (the ``<stream>_`` prefix).
    expressions
        The stream's new variables.
    glob
        Namespace of the global object's ``(n,)`` records (``None`` for the global object itself).
    glob_name
        Prefix of the global object's names.
    jet_index
        For packed records: the jet (row of ``glob``) of each record; padded records broadcast
        the global values over their slots.
    """

    def __init__(
        self,
        records: np.ndarray,
        stream: str,
        expressions: Mapping[str, Expression],
        glob: RecordNamespace | None = None,
        glob_name: str | None = None,
        jet_index: np.ndarray | None = None,
    ) -> None:
        self.records = records
        self.stream = stream
        self.expressions = expressions
        self.glob = glob
        self.glob_name = glob_name
        self.jet_index = jet_index
        self.fields = tuple(records.dtype.names or ())
        self.cache: dict[str, Any] = {}
        self._evaluating: list[str] = []
        clash = sorted(set(expressions) & set(self.fields))
        if clash:
            msg = (
                f"data.new_variables.{stream}: {clash} are already fields of the stream's dataset; "
                f"give the new variables other names."
            )
            raise DataError(msg)

    def _global_name(self, name: str) -> str | None:
        if self.glob is None or self.glob_name is None or not name.startswith(f"{self.glob_name}_"):
            return None
        rest = name[len(self.glob_name) + 1 :]
        return rest if rest in self.glob.fields else None

    def _own(self, name: str) -> str | None:
        if name in self.expressions or name in self.fields:
            return name
        prefix = f"{self.stream}_"
        if name.startswith(prefix) and name[len(prefix) :] in self.fields:
            return name[len(prefix) :]
        return None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (self._own(name) is not None or self._global_name(name) is not None)

    def __iter__(self) -> Iterator[str]:
        own = [*self.fields, *self.expressions]
        glob = [f"{self.glob_name}_{n}" for n in self.glob.fields] if self.glob is not None else []
        return iter(dict.fromkeys([*own, *glob]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, name: str) -> Any:
        if name in self.cache:
            return self.cache[name]
        own = self._own(name)
        if own is not None and own in self.expressions:
            value = self._evaluate(own)
        elif own is not None:
            value = self.records[own]
        else:
            rest = self._global_name(name)
            if rest is None or self.glob is None:
                raise KeyError(name)
            value = np.asarray(self.glob[rest])
            if self.jet_index is not None:
                value = value[self.jet_index]
            elif self.records.ndim == 2:
                value = value[:, None]
        self.cache[name] = value
        return value

    def _evaluate(self, name: str) -> np.ndarray:
        if name in self._evaluating:
            cycle = " -> ".join([*self._evaluating[self._evaluating.index(name) :], name])
            msg = f"data.new_variables.{self.stream}: circular definition {cycle}."
            raise DataError(msg)
        expression = self.expressions[name]
        self._evaluating.append(name)
        try:
            value = expression(self)
        except ExpressionError as err:
            msg = (
                f"data.new_variables.{self.stream}.{name}: {err} Names available in stream '{self.stream}': "
                f"its fields {list(self.fields)}, its new variables {list(self.expressions)}"
                + (
                    f" and the global object's as '{self.glob_name}_<field>'."
                    if self.glob is not None
                    else "."
                )
            )
            raise ExpressionError(msg) from err
        except (TypeError, ValueError) as err:  # e.g. a function called with the wrong arguments
            msg = f"data.new_variables.{self.stream}.{name}: expression '{expression.source}' failed ({err})."
            raise ExpressionError(msg) from err
        finally:
            self._evaluating.pop()
        return np.broadcast_to(np.asarray(value), self.records.shape)


def namespaces(
    records: Mapping[str, np.ndarray],
    expressions: Mapping[str, Mapping[str, Expression]],
    glob_stream: str | None,
    glob_name: str,
    jet_index: Mapping[str, np.ndarray] | None = None,
) -> dict[str, RecordNamespace]:
    """A :class:`RecordNamespace` per stream of ``records``, sharing the global object's.

    Parameters
    ----------
    records
        Stream -> its records for the same jets.
    expressions
        Stream -> its new variables.
    glob_stream
        The key of ``records`` holding the global object's ``(n,)`` records (``None``: none read).
    glob_name
        Prefix of the global object's names in the expressions.
    jet_index
        Stream -> jet of each packed record (streams read padded are absent).
    """
    glob = None
    if glob_stream is not None:
        glob = RecordNamespace(records[glob_stream], glob_name, expressions.get(glob_name, {}))
    out = {}
    for stream, recs in records.items():
        if stream == glob_stream and glob is not None:
            out[stream] = glob
            continue
        index = (jet_index or {}).get(stream)
        out[stream] = RecordNamespace(recs, stream, expressions.get(stream, {}), glob, glob_name, index)
    return out


def check_names(
    stream: str,
    names: list[str] | tuple[str, ...],
    dtype: np.dtype,
    expressions: Mapping[str, Expression],
    glob_dtype: np.dtype | None,
    glob_name: str,
) -> list[str]:
    """Check that the new variables among ``names`` evaluate on ``dtype``'s fields; return the file fields.

    The expressions are evaluated on empty records, so an unknown name, a cycle or a bad call
    fails before any data is read, with the stream, new variable, expression and name in the message.
    """
    empty = np.zeros(0, dtype=dtype)
    glob = None
    if glob_dtype is not None:
        glob = RecordNamespace(np.zeros(0, dtype=glob_dtype), glob_name, {})
    ns = RecordNamespace(empty, stream, expressions, glob, glob_name)
    for name in names:
        if name in expressions:
            ns[name]
    return [n for n in names if n not in expressions]


class DerivedReader:
    """Blocks of a stream whose variables include new variables (``data.new_variables``).

    ``bool(reader)`` says whether any is needed; ``read`` gives a namespace of the block's fields
    and new variables (the global object's fields as ``<global_object>_<field>``) and the pad mask.
    """

    def __init__(
        self,
        f: h5py.File,
        stream: str,
        ds: h5py.Dataset,
        names: list[str],
        expressions: Mapping[str, Expression],
        input_map: Mapping[str, str],
        global_object: str,
    ) -> None:
        self.ds, self.stream, self.global_object = ds, stream, global_object
        self.expressions = {k: v for k, v in expressions.items() if k in names}
        self.glob: h5py.Dataset | None = None
        glob_name = input_map.get(global_object, global_object)
        if stream != global_object and glob_name in f and isinstance(f[glob_name], h5py.Dataset):
            self.glob = f[glob_name]
        self.file_fields = names
        if self.expressions:
            glob_dtype = None if self.glob is None else self.glob.dtype
            try:
                self.file_fields = check_names(
                    stream, names, ds.dtype, expressions, glob_dtype, global_object
                )
            except DataError as err:
                msg = f"{f.filename}: {err}"
                raise type(err)(msg) from err
        self.all_expressions = expressions

    def __bool__(self) -> bool:
        return bool(self.expressions)

    def read(self, start: int, stop: int) -> tuple[RecordNamespace, np.ndarray | None]:
        records = self.ds[start:stop]
        mask = records["valid"].astype(bool) if self.ds.ndim == 2 else None
        glob = None
        if self.glob is not None:
            glob = RecordNamespace(self.glob[start:stop], self.global_object, {})
        ns = RecordNamespace(records, self.stream, self.all_expressions, glob, self.global_object)
        return ns, mask
