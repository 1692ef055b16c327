"""Short names of the registered building blocks, per kind, with their short class paths for configs.

Built from the packages' re-exports (``halite.models``, ``halite.tasks``, ``halite.nn``,
``halite.continual``) and the callback modules, so a block re-exported from its package's
``__init__`` is registered by construction. The short name is the class name; the class path
is the short one a config names (``halite.nn.TransformerEncoder``). This module imports every
package (Lightning included): import it lazily.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One registered class.

    Parameters
    ----------
    kind
        Its kind (``KINDS``).
    name
        Its short name (the class name).
    cls
        The class.
    path
        The short class path for configs.
    doc
        The first line of its docstring.
    """

    kind: str
    name: str
    cls: type
    path: str
    doc: str


def _doc(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _exports(package: str) -> dict[str, type]:
    """Public classes re-exported by ``package`` (its ``__all__``)."""
    module = importlib.import_module(package)
    names = getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")])
    return {n: getattr(module, n) for n in names if inspect.isclass(getattr(module, n))}


def _concrete(base_path: str) -> Callable[[type], bool]:
    """Predicate: a strict subclass of the class at ``base_path``, neither ``*Base`` nor abstract."""
    module, name = base_path.rsplit(".", 1)

    def check(cls: type) -> bool:
        base = getattr(importlib.import_module(module), name)
        abstract = cls.__name__.endswith("Base") or inspect.isabstract(cls)
        return issubclass(cls, base) and cls is not base and not abstract

    return check


def _in(*modules: str) -> Callable[[type], bool]:
    return lambda cls: cls.__module__ in modules


#: kind -> (package whose re-exports are registered, predicate choosing the classes of that kind)
KINDS: dict[str, tuple[str, Callable[[type], bool]]] = {
    "models": ("halite.models", _concrete("torch.nn.Module")),
    "tasks": ("halite.tasks", _concrete("halite.tasks.base.TaskBase")),
    "encoders": ("halite.nn", _concrete("halite.nn.sets.base.SetEncoder")),
    "pooling": ("halite.nn", _concrete("halite.nn.sets.pooling.Pooling")),
    "attention": ("halite.nn", _in("halite.nn.layers.attention", "halite.nn.layers.gatv2")),
    "point-backbones": ("halite.nn", _concrete("halite.nn.point.base.PointBackbone")),
    "lumin-heads": ("halite.nn.lumin", _concrete("halite.nn.lumin.head_base.AbsHead")),
    "lumin-bodies": ("halite.nn.lumin", _concrete("halite.nn.lumin.body.AbsBody")),
    "lumin-tails": ("halite.nn.lumin", _concrete("halite.nn.lumin.tail.AbsTail")),
    "lumin-endcaps": ("halite.nn.lumin", _concrete("halite.nn.lumin.endcap.AbsEndcap")),
    "lumin-blocks": ("halite.nn.lumin", _in("halite.nn.lumin.conv_blocks", "halite.nn.lumin.conv_pooling")),
    "continual-heads": ("halite.continual", _in("halite.continual.heads")),
    "continual-algorithms": (
        "halite.continual",
        _concrete("halite.continual.algorithms.base.ContinualAlgorithm"),
    ),
    "continual-backbones": ("halite.continual", _concrete("halite.continual.backbones.Backbone")),
    "continual-benchmarks": ("halite.continual", _concrete("halite.continual.data.Benchmark")),
    "callbacks": ("halite.training.callbacks", _concrete("lightning.pytorch.callbacks.Callback")),
}


def _callbacks() -> dict[str, type]:
    """Callback classes of ``halite.training.callbacks`` (one module per callback, no re-exports)."""
    package = importlib.import_module("halite.training.callbacks")
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                found[name] = obj
    return found


@functools.cache
def registry() -> dict[str, dict[str, Entry]]:
    """Kind -> short name -> entry (imports every package once)."""
    table: dict[str, dict[str, Entry]] = {}
    for kind, (package, keep) in KINDS.items():
        classes = _callbacks() if package == "halite.training.callbacks" else _exports(package)
        table[kind] = {}
        for name, cls in sorted(classes.items()):
            if keep(cls):
                path = (
                    f"{package}.{name}"
                    if package != "halite.training.callbacks"
                    else cls.__module__ + "." + name
                )
                table[kind][name] = Entry(kind, name, cls, path, _doc(cls))
    return table


def _unknown(what: str, name: str, choices: list[str]) -> KeyError:
    close = difflib.get_close_matches(name, choices, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return KeyError(f"Unknown {what} '{name}'.{hint} Choose one of: {', '.join(choices)}.")


def kinds() -> list[str]:
    """The registered kinds."""
    return list(KINDS)


def entries(kind: str | None = None) -> list[Entry]:
    """Registered entries of ``kind`` (all kinds when ``None``)."""
    if kind is not None and kind not in KINDS:  # before importing every package
        raise _unknown("kind", kind, list(KINDS))
    table = registry()
    if kind is None:
        return [e for k in table for e in table[k].values()]
    return list(table[kind].values())


def get(kind: str, name: str) -> type:
    """The class registered under ``name`` in ``kind``; an unknown name lists the choices."""
    table = {e.name: e for e in entries(kind)}
    if name not in table:
        raise _unknown(f"{kind} name", name, sorted(table))
    return table[name].cls
