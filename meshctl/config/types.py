"""Structural type constraints of variables: `object({...})`, `optional(type[, default])`,
`tuple([...])` and collections of them (`list(object({...}))`, `map(object({...}))`).

`convert` checks a value against a type and returns it converted as Terraform converts it:
a missing or null optional attribute takes its default (nested objects' defaults too), a
number or bool becomes a string where a string is wanted, a numeric string a number, "true"
and "false" a bool. A problem names the attribute path (`.servers[1].port`). Unlike
Terraform, an attribute the object type does not declare is an error, not silently dropped:
in a mesh repository it is a typo far more often than intent.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from meshctl.config import ast
from meshctl.config.evaluate import EvalError, Scope, evaluate
from meshctl.errors import Diagnostics, SourceRange, error

PRIMITIVES = ("string", "number", "bool", "any")
COLLECTIONS = ("list", "set", "map")


class TypeSyntaxError(Exception):
    def __init__(self, message: str, src: SourceRange, hint: str = ""):
        super().__init__(message)
        self.diagnostic = error(message, src, hint=hint)


class ConversionError(Exception):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path or 'the value'}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Attribute:
    type: TypeSpec
    optional: bool = False
    default: object = None


@dataclass(frozen=True)
class TypeSpec:
    kind: str  # a primitive, a collection, "object" or "tuple"
    elem: TypeSpec | None = None  # of a collection
    attrs: tuple[tuple[str, Attribute], ...] = ()  # of an object, in declared order
    items: tuple[TypeSpec, ...] = ()  # of a tuple

    def __str__(self) -> str:
        if self.kind in COLLECTIONS:
            return f"{self.kind}({self.elem})"
        if self.kind == "tuple":
            return f"tuple([{', '.join(map(str, self.items))}])"
        if self.kind == "object":
            parts = [f"{n} = {f'optional({a.type})' if a.optional else a.type}" for n, a in self.attrs]
            return "object({" + ", ".join(parts) + "})"
        return self.kind

    @property
    def structural(self) -> bool:
        """Needs `convert`: an object, a tuple, or a collection of something other than a primitive."""
        if self.kind in ("object", "tuple"):
            return True
        return self.kind in COLLECTIONS and self.elem is not None and self.elem.kind not in PRIMITIVES


_HINT = "types: string, number, bool, any, list(T), set(T), map(T), tuple([T, ...]), object({NAME = T, ...})"


def parse_type(expr: ast.Expr, scope: Scope, in_object: bool = False) -> tuple[TypeSpec, bool, object]:
    """The type an expression writes, and (inside an object) whether it is optional and its default."""
    if isinstance(expr, ast.Variable) and expr.name in PRIMITIVES:
        return TypeSpec(expr.name), False, None
    if isinstance(expr, ast.Call):
        name, args = expr.name, expr.args
        if name in COLLECTIONS and len(args) == 1:
            return TypeSpec(name, elem=parse_type(args[0], scope)[0]), False, None
        if name == "tuple" and len(args) == 1 and isinstance(args[0], ast.TupleExpr):
            return TypeSpec("tuple", items=tuple(parse_type(i, scope)[0] for i in args[0].items)), False, None
        if name == "object" and len(args) == 1 and isinstance(args[0], ast.ObjectExpr):
            attrs: list[tuple[str, Attribute]] = []
            for key, value in args[0].items:
                attr_name = _key_name(key)
                if any(n == attr_name for n, _ in attrs):
                    raise TypeSyntaxError(f"attribute {attr_name!r} is declared twice in object(...)", key.src)
                spec, optional, default = parse_type(value, scope, in_object=True)
                attrs.append((attr_name, Attribute(spec, optional, default)))
            return TypeSpec("object", attrs=tuple(attrs)), False, None
        if name == "optional":
            if not in_object:
                raise TypeSyntaxError("optional(...) is allowed only for an attribute of object({...})", expr.src)
            if len(args) not in (1, 2):
                raise TypeSyntaxError("optional takes a type and, optionally, a default value", expr.src)
            spec = parse_type(args[0], scope)[0]
            fallback: object = None
            if len(args) == 2:
                try:
                    fallback = convert(evaluate(args[1], scope), spec)
                except EvalError as exc:
                    raise TypeSyntaxError(exc.diagnostic.summary, args[1].src) from None
                except ConversionError as exc:
                    raise TypeSyntaxError(f"the default of optional({spec}) is not valid: {exc}", args[1].src) from None
            return spec, True, fallback
    raise TypeSyntaxError("unsupported type constraint", expr.src, hint=_HINT)


def _key_name(key: ast.Expr) -> str:
    if isinstance(key, ast.Variable):
        return key.name
    if isinstance(key, ast.Literal) and isinstance(key.value, str):
        return key.value
    if isinstance(key, ast.Template) and len(key.parts) == 1 and isinstance(key.parts[0], str):
        return key.parts[0]
    raise TypeSyntaxError("an object attribute name must be a plain name", key.src)


def _what(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a bool"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    return "a list" if isinstance(v, list) else "an object"


def convert(value: object, spec: TypeSpec, path: str = "") -> object:
    """`value` converted to `spec`; raises ConversionError naming the path that does not fit."""
    kind = spec.kind
    if value is None or kind == "any":
        return value
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        if isinstance(value, str):
            return value
        raise ConversionError(path, f"a string is required, got {_what(value)}")
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                f = float(value)
            except ValueError:
                pass
            else:
                return int(f) if f.is_integer() else f
        raise ConversionError(path, f"a number is required, got {_what(value)}")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise ConversionError(path, f"a bool is required, got {_what(value)}")
    if kind in ("list", "set", "tuple"):
        if not isinstance(value, list):
            raise ConversionError(path, f"a {kind} is required, got {_what(value)}")
        if kind == "tuple":
            if len(value) != len(spec.items):
                raise ConversionError(path, f"a tuple of {len(spec.items)} elements is required, got {len(value)}")
            return [convert(v, t, f"{path}[{i}]") for i, (v, t) in enumerate(zip(value, spec.items, strict=True))]
        assert spec.elem is not None
        out = [convert(v, spec.elem, f"{path}[{i}]") for i, v in enumerate(value)]
        return out if kind == "list" else [v for i, v in enumerate(out) if v not in out[:i]]
    if kind == "map":
        if not isinstance(value, dict):
            raise ConversionError(path, f"a map is required, got {_what(value)}")
        assert spec.elem is not None
        return {k: convert(v, spec.elem, f"{path}[{k!r}]".replace("'", '"')) for k, v in value.items()}
    if kind == "object":
        return _convert_object(value, spec, path)
    raise AssertionError(f"unknown type kind {kind}")


def _convert_object(value: object, spec: TypeSpec, path: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ConversionError(path, f"an object is required, got {_what(value)}")
    declared = dict(spec.attrs)
    for key in value:
        if key not in declared:
            close = difflib.get_close_matches(str(key), list(declared), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (declared: {', '.join(declared)})"
            raise ConversionError(f"{path}.{key}", "attribute is not declared by the type" + hint)
    out: dict[str, object] = {}
    for name, attr in spec.attrs:
        here = f"{path}.{name}"
        given = value.get(name)
        if name not in value and not attr.optional:
            raise ConversionError(here, f"attribute is required ({attr.type})")
        if given is None and attr.optional:
            given = attr.default
        out[name] = convert(given, attr.type, here)
    return out


_STRUCTURAL = ("object", "tuple", "optional")


def structural_type(attr: ast.Attribute, scope: Scope, diags: Diagnostics) -> TypeSpec | None:
    """A variable's `type` when it is structural (object, tuple, a collection of them); None for
    the simple types, which the callers read as before (their messages unchanged)."""
    e = attr.expr
    nested = isinstance(e, ast.Call) and e.name in COLLECTIONS and len(e.args) == 1 and isinstance(e.args[0], ast.Call)
    if not (isinstance(e, ast.Call) and (e.name in _STRUCTURAL or nested)):
        return None
    try:
        return parse_type(e, scope)[0]
    except TypeSyntaxError as exc:
        diags.add(exc.diagnostic)
        return None
