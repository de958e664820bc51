"""Evaluate expressions of `config.ast` into plain Python values.

Values are str, int, float, bool, None, list and dict, as in JSON. Errors carry the
source range of the expression that failed.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from meshctl.config import ast
from meshctl.config.functions import FunctionError, to_string
from meshctl.errors import Diagnostic, SourceRange, error


class EvalError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.summary)
        self.diagnostic = diagnostic


class Namespace:
    """A root name such as `var` or `local`; subclasses may evaluate lazily."""

    kind = "value"

    def __init__(self, values: Mapping[str, object]):
        self.values = values

    def get(self, name: str, src: SourceRange) -> object:
        if name in self.values:
            return self.values[name]
        raise EvalError(_unknown(self.kind, name, self.values.keys(), src))

    def names(self) -> list[str]:
        return list(self.values)


def _unknown(kind: str, name: str, known: Iterable[object], src: SourceRange) -> Diagnostic:
    known_list = sorted(str(k) for k in known)
    close = difflib.get_close_matches(name, known_list, n=1)
    hint = (
        f"did you mean {close[0]!r}?"
        if close
        else (f"declared {kind}s: {', '.join(known_list[:8])}" if known_list else f"no {kind} is declared")
    )
    return error(f"reference to undeclared {kind} {name!r}", src, hint=hint)


@dataclass
class Scope:
    roots: dict[str, Namespace]
    functions: Mapping[str, Callable[..., object]]
    bound: dict[str, object] = field(default_factory=dict)  # for-expression variables

    def child(self, **bound: object) -> Scope:
        return Scope(self.roots, self.functions, {**self.bound, **bound})


_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def evaluate(expr: ast.Expr, scope: Scope) -> object:
    if isinstance(expr, ast.Literal):
        return expr.value
    if isinstance(expr, ast.Template):
        out = []
        for part in expr.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = evaluate(part, scope)
            try:
                out.append(to_string(value))
            except FunctionError:
                raise EvalError(
                    error(
                        "cannot interpolate a "
                        + ("list" if isinstance(value, list) else "map or null")
                        + " into a string",
                        part.src,
                        hint="use jsonencode(...) or join(...)",
                    )
                ) from None
        return "".join(out)
    if isinstance(expr, ast.Variable):
        if expr.name in scope.bound:
            return scope.bound[expr.name]
        if expr.name in scope.roots:
            raise EvalError(error(f"{expr.name!r} needs an attribute, e.g. {expr.name}.name", expr.src))
        raise EvalError(
            error(
                f"unknown name {expr.name!r}",
                expr.src,
                hint="references start with var. or local.; strings need double quotes",
            )
        )
    if isinstance(expr, ast.GetAttr):
        if (
            isinstance(expr.target, ast.Variable)
            and expr.target.name in scope.roots
            and expr.target.name not in scope.bound
        ):
            return scope.roots[expr.target.name].get(expr.name, expr.src)
        return _index(evaluate(expr.target, scope), expr.name, expr.src)
    if isinstance(expr, ast.Index):
        return _index(evaluate(expr.target, scope), evaluate(expr.key, scope), expr.src)
    if isinstance(expr, ast.Call):
        return _call(expr, scope)
    if isinstance(expr, ast.TupleExpr):
        return [evaluate(i, scope) for i in expr.items]
    if isinstance(expr, ast.ObjectExpr):
        obj: dict[str, object] = {}
        for k, v in expr.items:
            key = evaluate(k, scope)
            if not isinstance(key, (str, int, float)) or isinstance(key, bool):
                raise EvalError(error("object keys must be strings", k.src))
            obj[to_string(key)] = evaluate(v, scope)
        return obj
    if isinstance(expr, ast.BinaryOp):
        return _binary(expr, scope)
    if isinstance(expr, ast.UnaryOp):
        value = evaluate(expr.operand, scope)
        if expr.op == "!":
            _want_bool(value, expr.src)
            return not value
        return -_number(value, expr.src)
    if isinstance(expr, ast.Conditional):
        cond = evaluate(expr.cond, scope)
        _want_bool(cond, expr.cond.src)
        return evaluate(expr.then if cond else expr.otherwise, scope)
    if isinstance(expr, ast.ForExpr):
        return _for(expr, scope)
    if isinstance(expr, ast.Splat):
        return _splat(expr, scope)
    raise EvalError(error("unsupported expression", expr.src))


def _index(target: object, key: object, src: SourceRange) -> object:
    if isinstance(target, dict):
        if isinstance(key, str) and key in target:
            return target[key]
        raise EvalError(_unknown("key", str(key), target.keys(), src))
    if isinstance(target, list):
        if isinstance(key, bool) or not isinstance(key, int):
            raise EvalError(error(f"a list index must be a number, got {key!r}", src))
        if not -len(target) <= key < len(target):
            raise EvalError(error(f"index {key} is out of range for a list of {len(target)}", src))
        return target[key]
    raise EvalError(error(f"cannot index into a {type(target).__name__} value with {key!r}", src))


def _splat(expr: ast.Splat, scope: Scope) -> list[object]:
    """Terraform's splat: over a list, each element's value; null gives [], and any other
    single value is treated as a list of that one value."""
    target = evaluate(expr.target, scope)
    items = [] if target is None else target if isinstance(target, list) else [target]
    return [evaluate(expr.each, scope.child(**{ast.SPLAT_ITEM: item})) for item in items]


def _try(expr: ast.Call, scope: Scope) -> object:
    """`try(a, b, ...)`: the first argument that evaluates without an error. Only evaluation
    errors (`EvalError`, what a user's expression causes) fall through to the next argument: any
    other exception is a bug in meshctl and propagates, never hidden behind a fallback."""
    if not expr.args:
        raise EvalError(error("try() needs at least one argument", expr.src))
    failures: list[Diagnostic] = []
    for arg in expr.args:
        try:
            return evaluate(arg, scope)
        except EvalError as exc:
            failures.append(exc.diagnostic)
    detail = "; ".join(f"{d.source}: {d.summary}" if d.source else d.summary for d in failures)
    raise EvalError(error("try(): no argument could be evaluated", expr.src, detail=detail))


def _can(expr: ast.Call, scope: Scope) -> bool:
    """`can(expr)`: true when `expr` evaluates without an error (only `EvalError` counts)."""
    if len(expr.args) != 1:
        raise EvalError(error("can() takes exactly one argument", expr.src))
    try:
        evaluate(expr.args[0], scope)
    except EvalError:
        return False
    return True


# Functions whose arguments are evaluated by the function itself, not before the call.
_LAZY: dict[str, Callable[[ast.Call, Scope], object]] = {"try": _try, "can": _can}


def _call(expr: ast.Call, scope: Scope) -> object:
    lazy = _LAZY.get(expr.name)
    if lazy is not None and expr.name not in scope.functions:
        if expr.expand_last:
            raise EvalError(error(f"{expr.name}(...) cannot expand its arguments with ...", expr.src))
        return lazy(expr, scope)
    fn = scope.functions.get(expr.name)
    if fn is None:
        close = difflib.get_close_matches(expr.name, [*scope.functions, *_LAZY], n=1)
        raise EvalError(
            error(
                f"unknown function {expr.name!r}",
                expr.src,
                hint=f"did you mean {close[0]}()?" if close else "see the README for the functions meshctl offers",
            )
        )
    args = [evaluate(a, scope) for a in expr.args]
    if expr.expand_last:
        if not args or not isinstance(args[-1], list):
            raise EvalError(error(f"{expr.name}(...): the argument before ... must be a list", expr.src))
        args = args[:-1] + args[-1]
    try:
        return fn(*args)
    except FunctionError as exc:
        raise EvalError(error(f"in {expr.name}(): {exc}", expr.src)) from None
    except TypeError:
        raise EvalError(error(f"wrong number of arguments to {expr.name}()", expr.src)) from None


def _binary(expr: ast.BinaryOp, scope: Scope) -> object:
    op = expr.op
    left = evaluate(expr.left, scope)
    if op in ("&&", "||"):
        _want_bool(left, expr.left.src)
        if (op == "&&" and not left) or (op == "||" and left):
            return left
        right = evaluate(expr.right, scope)
        _want_bool(right, expr.right.src)
        return right
    right = evaluate(expr.right, scope)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    x, y = _number(left, expr.left.src), _number(right, expr.right.src)
    if op in _COMPARE:
        return _COMPARE[op](x, y)
    if op in ("/", "%") and y == 0:
        raise EvalError(error("division by zero", expr.src))
    result = _ARITH[op](x, y)
    return int(result) if isinstance(result, float) and result.is_integer() and op != "/" else result


def _for(expr: ast.ForExpr, scope: Scope) -> object:
    coll = evaluate(expr.collection, scope)
    if isinstance(coll, dict):
        pairs = list(coll.items())
    elif isinstance(coll, list):
        pairs = list(enumerate(coll))
    else:
        raise EvalError(error("a for expression needs a list or map to iterate", expr.collection.src))
    items: list[object] = []
    obj: dict[str, object] = {}
    for k, v in pairs:
        inner = scope.child(**({expr.key_var: k} if expr.key_var else {}), **{expr.value_var: v})
        if expr.cond is not None:
            keep = evaluate(expr.cond, inner)
            _want_bool(keep, expr.cond.src)
            if not keep:
                continue
        if expr.key_expr is not None:
            obj[to_string(evaluate(expr.key_expr, inner))] = evaluate(expr.value_expr, inner)
        else:
            items.append(evaluate(expr.value_expr, inner))
    return obj if expr.key_expr is not None else items


def _want_bool(v: object, src: SourceRange) -> None:
    if not isinstance(v, bool):
        raise EvalError(error(f"expected true or false, got {v!r}", src))


def _number(v: object, src: SourceRange) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise EvalError(error(f"expected a number, got {v!r}", src))
    return v
