"""What every built-in function shares: its error, and argument checks that name the argument."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class FunctionError(Exception):
    """A function given a value it cannot use; the evaluator adds the call's `file:line`."""


def type_name(v: object) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "object"
    return "null"


def want(v: object, kind: type[T], what: str) -> T:
    """`v` when it is of `kind` (a bool is never a number), else the error naming `what`."""
    if not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool):
        raise FunctionError(f"{what} must be a {kind_word(kind)}, got {type_name(v)}")
    return v


def kind_word(kind: type | tuple[type, ...]) -> str:
    names = {str: "string", int: "number", float: "number", list: "list", dict: "map", bool: "bool"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(sorted({names.get(k, k.__name__) for k in kinds}))
