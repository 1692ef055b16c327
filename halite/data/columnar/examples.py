"""Turn the branches of a range of entries into padded per-jet arrays of each stream.

Steps, all vectorised (numpy / awkward, no per-jet Python):

1. the *namespace* maps every name to a per-jet array: in the jet layout the
   branches themselves; in the event layout jet branches are flattened, per-event
   scalars repeated for each jet, and constituent branches regrouped per jet
   through the link index branches;
2. ``new_variables`` are evaluated lazily on demand in that namespace;
3. the ``selection`` keeps jets;
4. labels are built (label map or one-hot) on the kept jets;
5. constituent streams are sorted (``ak.argsort``) and scattered into zero-padded
   ``(jets, max_length)`` arrays with a ``valid`` mask (one index plan for all fields).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from halite.data.columnar.config import ColumnarConfig, LabelConfig
from halite.errors import DataError, DataKeyError


def _is_jagged(x: Any) -> bool:
    return isinstance(x, ak.Array) and x.ndim > 1


def _numpy(x: Any) -> np.ndarray:
    return x if isinstance(x, np.ndarray) else ak.to_numpy(x)


def _exclusive_cumsum(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def _check_depth(x: ak.Array, name: str, path: Path) -> ak.Array:
    if x.ndim > 2:
        msg = f"{path}: branch '{name}' is nested {x.ndim - 1} levels deep; only flat or jagged (one level) branches are supported."
        raise DataError(msg)
    return x


@dataclass
class _Link:
    """Regrouping of a constituent collection per jet (event layout)."""

    order: np.ndarray  # link entries sorted by global jet index
    counts: np.ndarray  # constituents per jet (n_jets,)
    link_event: np.ndarray  # event of each link entry (n_links,)
    constituent: np.ndarray  # constituent index within its event (n_links,)
    keep: np.ndarray  # link entries with a jet (jet index >= 0) among all (n_all_links,)


class Namespace(Mapping[str, Any]):
    """Per-jet arrays of the branches and new variables of one read (before selection).

    Parameters
    ----------
    config
        The columnar configuration.
    arrays
        Raw branches of the entry range.
    path
        The file (for error messages).
    """

    def __init__(self, config: ColumnarConfig, arrays: Mapping[str, ak.Array], path: Path) -> None:
        self.config = config
        self.arrays = arrays
        self.path = path
        self.expressions = config.expressions()
        self.cache: dict[str, Any] = {}
        self._links: dict[str, _Link] = {}
        self.num_entries = len(next(iter(arrays.values()))) if arrays else 0
        if config.layout == "event":
            self.jet_counts = self._jet_counts()
            self.num_jets = int(self.jet_counts.sum())
        else:
            self.num_jets = self.num_entries

    def __contains__(self, name: object) -> bool:
        return name in self.expressions or name in self.arrays

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self.arrays), **dict.fromkeys(self.expressions)})

    def __len__(self) -> int:
        return len(set(self.arrays) | set(self.expressions))

    def __getitem__(self, name: str) -> Any:
        if name in self.cache:
            return self.cache[name]
        if name in self.expressions:  # cycles are rejected when the config is built
            value = self.expressions[name](self)
            if not isinstance(value, np.ndarray | ak.Array):  # a constant expression
                value = np.full(self.num_jets, value)
        elif name in self.arrays:
            value = self._per_jet(name)
        else:
            raise KeyError(name)
        self.cache[name] = value
        return value

    # -- event layout -------------------------------------------------------------------------
    def _jet_counts(self) -> np.ndarray:
        prefix = f"{self.config.jet_collection}_"
        for name, arr in self.arrays.items():
            if name.startswith(prefix) and _is_jagged(arr):
                return _numpy(ak.num(arr, axis=1)).astype(np.int64)
        counter = f"n{self.config.jet_collection}"
        if counter in self.arrays:
            return _numpy(self.arrays[counter]).astype(np.int64)
        msg = f"{self.path}: no jagged '{prefix}*' branch read to count the jets per event."
        raise DataKeyError(msg)

    def _stream_of(self, name: str) -> tuple[str, str] | None:
        """``(stream, "link" | "constituent")`` when ``name`` belongs to a constituent collection."""
        for stream, cfg in self.config.streams.items():
            if cfg.link_prefix and name.startswith(f"{cfg.link_prefix}_"):
                return stream, "link"
            if cfg.collection and name.startswith(f"{cfg.collection}_"):
                return stream, "constituent"
        return None

    def _link(self, stream: str) -> _Link:
        if stream in self._links:
            return self._links[stream]
        cfg = self.config.streams[stream]
        assert cfg.jet_index is not None and cfg.constituent_index is not None
        jidx = self.arrays[cfg.jet_index]
        cidx = self.arrays[cfg.constituent_index]
        per_event = _numpy(ak.num(jidx, axis=1))
        link_event = np.repeat(np.arange(self.num_entries), per_event)
        jet = _numpy(ak.flatten(jidx)).astype(np.int64)
        cons = _numpy(ak.flatten(cidx)).astype(np.int64)
        keep = jet >= 0  # unlinked entries
        bad = keep & (jet >= self.jet_counts[link_event])
        if bad.any():
            msg = (
                f"{self.path}: '{cfg.jet_index}' has {int(bad.sum())} indices beyond the number of "
                f"'{self.config.jet_collection}' jets of their event; check jet_collection / jet_index."
            )
            raise DataError(msg)
        link_event, jet, cons = link_event[keep], jet[keep], cons[keep]
        global_jet = _exclusive_cumsum(self.jet_counts)[link_event] + jet
        order = np.argsort(global_jet, kind="stable")
        counts = np.bincount(global_jet, minlength=self.num_jets)
        link = _Link(order, counts, link_event, cons, keep)
        self._links[stream] = link
        return link

    def _per_jet(self, name: str) -> Any:
        arr = _check_depth(self.arrays[name], name, self.path)
        if self.config.layout == "jet":
            return arr if _is_jagged(arr) else _numpy(arr)
        if name.startswith(f"{self.config.jet_collection}_") and self._stream_of(name) is None:
            if not _is_jagged(arr):
                msg = f"{self.path}: jet branch '{name}' is not jagged per event; check jet_collection / layout."
                raise DataError(msg)
            if not np.array_equal(_numpy(ak.num(arr, axis=1)), self.jet_counts):
                msg = (
                    f"{self.path}: branch '{name}' has a different number of jets per event than the others."
                )
                raise DataError(msg)
            return _numpy(ak.flatten(arr))
        owner = self._stream_of(name)
        if owner is None:
            if _is_jagged(arr):
                msg = (
                    f"{self.path}: branch '{name}' is jagged but belongs to neither the jet collection "
                    f"'{self.config.jet_collection}' nor a stream's collection or link; add its collection to "
                    f"a stream (collection / jet_index) or use a per-event branch."
                )
                raise DataError(msg)
            return np.repeat(_numpy(arr), self.jet_counts)
        stream, kind = owner
        link = self._link(stream)
        if kind == "link":
            values = _numpy(ak.flatten(arr))[link.keep][link.order]
        else:
            sizes = _numpy(ak.num(arr, axis=1))
            bad = link.constituent >= sizes[link.link_event]
            if bad.any() or (link.constituent < 0).any():
                cfg = self.config.streams[stream]
                msg = (
                    f"{self.path}: '{cfg.constituent_index}' points outside '{name}' for "
                    f"{int(bad.sum())} links; check collection / constituent_index of stream '{stream}'."
                )
                raise DataError(msg)
            flat = _numpy(ak.flatten(arr))
            values = flat[(_exclusive_cumsum(sizes)[link.link_event] + link.constituent)[link.order]]
        return ak.unflatten(values, link.counts)


def base_branches(config: ColumnarConfig, names: Sequence[str]) -> list[str]:
    """Raw branches needed to compute ``names`` (fields, labels, new variables)."""
    expressions = config.expressions()
    out: dict[str, None] = {}
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        if name in config.labels:
            for src in config.labels[name].source_names():
                visit(src)
        elif name in expressions:
            for dep in expressions[name].names:
                visit(dep)
        else:
            out[name] = None

    for n in names:
        visit(n)
    if config.layout == "event":
        for name in list(out):
            for cfg in config.streams.values():
                if (cfg.link_prefix and name.startswith(f"{cfg.link_prefix}_")) or (
                    cfg.collection and name.startswith(f"{cfg.collection}_")
                ):
                    out[str(cfg.jet_index)] = None
                    out[str(cfg.constituent_index)] = None
    return list(out)


def selection_mask(ns: Namespace, config: ColumnarConfig) -> np.ndarray:
    """Jets kept by the selection ``(n_jets,)``."""
    expr = config.selection_expression()
    if expr is None:
        return np.ones(ns.num_jets, dtype=bool)
    mask = expr(ns)
    if _is_jagged(mask):
        msg = (
            f"data.columnar.selection '{config.selection}' gives a value per constituent, not per jet; "
            f"reduce it or select on jet-level branches."
        )
        raise DataError(msg)
    mask = np.broadcast_to(_numpy(mask), (ns.num_jets,))
    if mask.dtype != bool:
        msg = f"data.columnar.selection '{config.selection}' is not boolean (dtype {mask.dtype}); use a comparison."
        raise DataError(msg)
    return mask


def build_label(ns: Namespace, name: str, cfg: LabelConfig, mask: np.ndarray) -> Any:
    """Class indices of label ``name`` for the kept jets (int64, jagged for constituent labels)."""
    if cfg.one_hot is not None:
        onehot = np.stack([_numpy(ns[b])[mask].astype(bool) for b in cfg.one_hot], axis=1)
        bad = onehot.sum(axis=1) != 1
        if bad.any():
            msg = (
                f"{ns.path}: label '{name}': {int(bad.sum())} jets have not exactly one of {cfg.one_hot} true. "
                f"Select them out with data.columnar.selection."
            )
            raise DataError(msg)
        return np.argmax(onehot, axis=1).astype(np.int64)
    assert cfg.branch is not None
    raw = ns[cfg.branch][mask]
    if cfg.label_map is None:
        return raw
    flat = _numpy(ak.flatten(raw)) if _is_jagged(raw) else _numpy(raw)
    flat = flat.astype(np.int64)
    keys = np.array(sorted(cfg.label_map), dtype=np.int64)
    values = np.array([cfg.label_map[int(k)] for k in keys], dtype=np.int64)
    pos = np.clip(np.searchsorted(keys, flat), 0, len(keys) - 1)
    unknown = keys[pos] != flat
    if unknown.any():
        msg = (
            f"{ns.path}: label '{name}' has values {sorted(set(flat[unknown].tolist()))[:20]} that are not in its "
            f"label_map {cfg.label_map}. Add them or select those jets out (data.columnar.selection)."
        )
        raise DataError(msg)
    mapped = values[pos]
    return ak.unflatten(mapped, ak.num(raw, axis=1)) if _is_jagged(raw) else mapped


def stream_columns(
    ns: Namespace,
    config: ColumnarConfig,
    stream: str,
    global_object: str,
    fields: Sequence[str],
    mask: np.ndarray,
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Fields of ``stream`` for the kept jets: ``(n,)`` arrays, or ``(n, max_length)`` plus ``valid``.

    Constituents are sorted by ``sort_by`` and padded with zeros to ``max_length``.
    """
    cfg = config.streams[stream]
    is_global = stream == global_object
    available = config.fields(stream, global_object)
    unknown = [f for f in fields if f not in available]
    if unknown:
        msg = (
            f"{ns.path}: variable(s) {unknown} of stream '{stream}' are not among its fields {available}. "
            f"Add them to data.columnar.streams.{stream}.branches (or labels)."
        )
        raise DataKeyError(msg)
    values: dict[str, Any] = {}
    for name in fields:
        if name in config.labels:
            values[name] = build_label(ns, name, config.labels[name], mask)
        else:
            values[name] = ns[name][mask]
    if is_global:
        out = {}
        for name, v in values.items():
            if _is_jagged(v):
                msg = (
                    f"{ns.path}: field '{name}' of the global stream '{stream}' has a value per constituent; "
                    f"global fields need one value per jet."
                )
                raise DataError(msg)
            out[name] = np.ascontiguousarray(np.broadcast_to(_numpy(v), (int(mask.sum()),)))
        return out, None
    ref_name = cfg.sort_by or next((n for n, v in values.items() if _is_jagged(v)), None)
    if ref_name is None:
        msg = f"data.columnar.streams.{stream}: no field has a value per constituent; add one (or sort_by)."
        raise DataError(msg)
    ref = values[ref_name] if ref_name in values else ns[ref_name][mask]
    if not _is_jagged(ref):
        msg = f"data.columnar.streams.{stream}.sort_by '{ref_name}' is not a per-constituent variable."
        raise DataError(msg)
    counts = _numpy(ak.num(ref, axis=1)).astype(np.int64)
    length = int(cfg.max_length or 0)
    # one scatter plan for all fields: constituent (sorted) rank r of jet i -> slot (i, r) if r < length
    starts = _exclusive_cumsum(counts)
    row = np.repeat(np.arange(len(counts)), counts)
    rank = np.arange(len(row)) - starts[row]
    if cfg.sort_by:
        local = _numpy(ak.flatten(ak.argsort(ref, axis=1, ascending=cfg.sort_ascending, stable=True)))
        src = starts[row] + local.astype(np.int64)
    else:
        src = np.arange(len(row))
    keep = rank < length
    dest, src = (row[keep], rank[keep]), src[keep]
    out = {}
    for name, v in values.items():
        if _is_jagged(v):
            if not np.array_equal(_numpy(ak.num(v, axis=1)), counts):
                msg = (
                    f"{ns.path}: field '{name}' of stream '{stream}' has different constituent counts than "
                    f"'{ref_name}'; all per-constituent fields of a stream must belong to one collection."
                )
                raise DataError(msg)
            flat = _numpy(ak.flatten(v))[src]
        else:
            flat = _numpy(v)[dest[0]]  # a jet-level value repeated for each constituent
        padded = np.zeros((len(counts), length), dtype=flat.dtype)
        padded[dest] = flat
        out[name] = padded
    valid = np.arange(length)[None, :] < counts[:, None]
    return out, valid
