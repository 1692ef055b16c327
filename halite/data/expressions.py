"""A small, safe expression language for selections and derived variables.

Expressions such as ``"(Jet_pt > 20) & (abs(Jet_eta) < 2.5)"`` or
``"log(PFCands_pt / Jet_pt)"`` are parsed with :mod:`ast` and compiled into a tree
of closures over numpy ufuncs, which act element-wise on numpy and awkward arrays
alike. Only the nodes below are accepted; anything else (attributes, subscripts,
lambdas, keyword arguments, unknown functions, strings, ...) raises
:class:`ExpressionError` naming the expression and the construct. Nothing is passed
to ``eval``.

Allowed: numbers, ``True``/``False``, ``pi``, names (branches or new variables),
``+ - * / // % **``, unary ``- + ~ not``, comparisons (chained too), ``and or``
(element-wise), ``& | ^``, and calls of :data:`FUNCTIONS`.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from halite.errors import DataError


def _where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` else ``b``, element-wise (awkward is imported on first use)."""
    import awkward as ak

    return ak.where(condition, a, b)


#: function name -> implementation (element-wise on numpy and awkward arrays)
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": np.abs,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "log10": np.log10,
    "log1p": np.log1p,
    "hypot": np.hypot,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arctan2": np.arctan2,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "arcsinh": np.arcsinh,
    "minimum": np.minimum,
    "maximum": np.maximum,
    "where": lambda c, a, b: _where(c, a, b),
}

_CONSTANTS: dict[str, Any] = {"pi": np.pi, "True": True, "False": False}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
    ast.Not: np.logical_not,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}

Namespace = Mapping[str, Any]
_Fn = Callable[[Namespace], Any]


class ExpressionError(DataError):
    """An expression that cannot be parsed, uses a forbidden construct, or names an unknown variable."""


@dataclass(frozen=True)
class Expression:
    """A compiled expression.

    Parameters
    ----------
    source
        The text, e.g. ``"log(PFCands_pt)"``.
    names
        Variables it reads (branches or new variables), in order of appearance.
    """

    source: str
    names: tuple[str, ...]
    _fn: _Fn

    def __call__(self, namespace: Namespace) -> Any:
        """Evaluate over ``namespace`` (name -> numpy/awkward array)."""
        missing = [n for n in self.names if n not in namespace]
        if missing:
            msg = (
                f"Expression '{self.source}' uses {missing}, which are neither branches nor new variables. "
                f"Check the spelling in the data config (selection / new_variables / streams)."
            )
            raise ExpressionError(msg)
        with np.errstate(all="ignore"):
            return self._fn(namespace)


def _fail(source: str, node: ast.AST, what: str) -> ExpressionError:
    allowed = ", ".join(sorted(FUNCTIONS))
    msg = (
        f"Expression '{source}': {what} (at column {getattr(node, 'col_offset', 0)}) is not allowed. "
        f"Use branch names, numbers, arithmetic (+ - * / // % **), comparisons, and/or/not, & | ~ and "
        f"the functions {allowed}."
    )
    return ExpressionError(msg)


def _compile(node: ast.AST, source: str, names: list[str]) -> _Fn:
    if isinstance(node, ast.Expression):
        return _compile(node.body, source, names)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return lambda ns: value
        if isinstance(value, int | float):
            # numpy scalars: integer powers wrap instead of growing without bound
            num = np.int64(value) if isinstance(value, int) and abs(value) < 2**63 else np.float64(value)
            return lambda ns: num
        raise _fail(source, node, f"the constant {value!r}")
    if isinstance(node, ast.Name):
        name = node.id
        if name in _CONSTANTS:
            const = _CONSTANTS[name]
            return lambda ns: const
        if name in FUNCTIONS:
            raise _fail(source, node, f"the function name '{name}' used without a call")
        names.append(name)
        return lambda ns: ns[name]
    if isinstance(node, ast.BinOp):
        op = _BINARY.get(type(node.op))
        if op is None:
            raise _fail(source, node, f"the operator {type(node.op).__name__}")
        left, right = _compile(node.left, source, names), _compile(node.right, source, names)
        return lambda ns: op(left(ns), right(ns))
    if isinstance(node, ast.UnaryOp):
        uop = _UNARY.get(type(node.op))
        if uop is None:
            raise _fail(source, node, f"the operator {type(node.op).__name__}")
        operand = _compile(node.operand, source, names)
        return lambda ns: uop(operand(ns))
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, source, names) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def boolop(ns: Namespace) -> Any:
            out = parts[0](ns)
            for part in parts[1:]:
                out = combine(out, part(ns))
            return out

        return boolop
    if isinstance(node, ast.Compare):
        ops = []
        for op_node in node.ops:
            cop = _COMPARE.get(type(op_node))
            if cop is None:
                raise _fail(source, node, f"the comparison {type(op_node).__name__}")
            ops.append(cop)
        terms = [_compile(t, source, names) for t in [node.left, *node.comparators]]

        def compare(ns: Namespace) -> Any:
            values = [t(ns) for t in terms]
            out = ops[0](values[0], values[1])
            for i in range(1, len(ops)):
                out = np.logical_and(out, ops[i](values[i], values[i + 1]))
            return out

        return compare
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = f"the call of '{ast.unparse(node.func)}'"
            raise _fail(source, node, what)
        if node.keywords:
            raise _fail(source, node, f"keyword arguments in the call of '{node.func.id}'")
        fn = FUNCTIONS[node.func.id]
        args = [_compile(a, source, names) for a in node.args]
        return lambda ns: fn(*(a(ns) for a in args))
    raise _fail(source, node, f"the construct '{type(node).__name__}'")


def compile_expression(source: str) -> Expression:
    """Parse and compile ``source``; raise :class:`ExpressionError` for anything not allowed."""
    if not isinstance(source, str) or not source.strip():
        msg = f"Expression {source!r} is empty or not a string; write e.g. 'Jet_pt > 20'."
        raise ExpressionError(msg)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as err:
        msg = f"Expression '{source}' is not valid syntax ({err.msg}, column {err.offset})."
        raise ExpressionError(msg) from err
    names: list[str] = []
    fn = _compile(tree, source, names)
    return Expression(source, tuple(dict.fromkeys(names)), fn)
