"""Declarative block schemas and a decoder that type-checks evaluated attributes.

A schema says which attributes and nested blocks a block may have, their types and
which are required; `decode` evaluates a block against it and reports every problem
(unknown attribute with a did-you-mean, missing attribute, wrong type) as a diagnostic.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TypeVar

from meshctl.config import ast
from meshctl.config.evaluate import EvalError, Scope, evaluate
from meshctl.errors import Diagnostics, SourceRange

# Types: "string", "number", "bool", "list(string)", "map(string)", "map(any)", "any".


@dataclass(frozen=True)
class Attr:
    type: str
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class BlockSchema:
    labels: tuple[str, ...] = ()  # label names, e.g. ("name",)
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: dict[str, BlockSchema] = field(default_factory=dict)
    repeatable: bool = False  # a nested block that may appear several times
    required: bool = False
    optional_label: str = ""  # a block that takes no label or this one (`kafka` or `kafka "eu"`)
    # An unknown attribute's hint lists every known one (a small closed set, such as sla's keys),
    # not only the closest.
    list_known: bool = False


@dataclass
class Decoded:
    """An evaluated block: attribute values, their sources, and nested blocks."""

    type: str
    labels: list[str]
    src: SourceRange
    values: dict[str, object] = field(default_factory=dict)
    srcs: dict[str, SourceRange] = field(default_factory=dict)
    exprs: dict[str, ast.Expr] = field(default_factory=dict)
    blocks: dict[str, list[Decoded]] = field(default_factory=dict)
    module: str = ""  # the module that declared it (`module.NAME`), "" at the root

    def get(self, name: str, default: object = None) -> object:
        return self.values.get(name, default)

    # Typed reads of attributes `decode` checked against the schema; a value of another type
    # means the schema and the caller disagree (a bug), never a user's mistake.

    def text(self, name: str) -> str | None:
        """A `string` attribute, or None when it is not set."""
        return _of(str, self.values.get(name), name)

    def texts(self, name: str) -> list[str] | None:
        """A `list(string)` attribute, or None when it is not set."""
        value = _of(list, self.values.get(name), name)
        return None if value is None else [_expect(str, v, name) for v in value]

    def mapping(self, name: str) -> dict[str, object]:
        """A `map(...)` attribute; {} when it is not set."""
        return dict(_of(dict, self.values.get(name), name) or {})

    def strings(self, name: str) -> dict[str, str]:
        """A `map(string)` attribute; {} when it is not set."""
        return {str(k): _expect(str, v, name) for k, v in self.mapping(name).items()}

    def src_of(self, name: str) -> SourceRange:
        return self.srcs.get(name, self.src)

    def block(self, name: str) -> Decoded | None:
        found = self.blocks.get(name) or []
        return found[0] if found else None


T = TypeVar("T")


def _of(kind: type[T], value: object, name: str) -> T | None:
    return None if value is None else _expect(kind, value, name)


def _expect(kind: type[T], value: object, name: str) -> T:
    if not isinstance(value, kind):
        raise TypeError(f"{name} was decoded as {type(value).__name__}, not {kind.__name__}: the schema disagrees")
    return value


def decode(block: ast.Block, schema: BlockSchema, scope: Scope, diags: Diagnostics) -> Decoded | None:
    """Evaluate `block` against `schema`; None when its labels are wrong (already reported)."""
    optional = bool(schema.optional_label) and len(block.labels) == 1
    if len(block.labels) != len(schema.labels) and not optional:
        if schema.optional_label:
            diags.error(
                f"{block.type} block takes at most one label: the {schema.optional_label}",
                block.src,
                hint=f'write it as {block.type} {{ ... }} or {block.type} "NAME" {{ ... }}',
            )
        elif schema.labels:
            diags.error(
                f"{block.type} block needs {len(schema.labels)} label(s): {', '.join(schema.labels)}",
                block.src,
                hint=f'write it as {block.type} "{schema.labels[0]}" {{ ... }}',
            )
        else:
            diags.error(f"{block.type} block takes no labels", block.src, hint=f"write it as {block.type} {{ ... }}")
        return None
    out = Decoded(block.type, list(block.labels), block.src)
    for name, attr in block.body.attributes.items():
        spec = schema.attrs.get(name)
        if spec is None:
            nested_hint = f"{name} is a block: write {name} {{ ... }}" if name in schema.blocks else ""
            hint = nested_hint or _suggest(name, list(schema.attrs) + list(schema.blocks))
            if schema.list_known and not hint.startswith("allowed here"):
                hint += f" (known: {', '.join(schema.attrs)})"
            diags.error(f"unknown attribute {name!r} in {_block_title(block)}", attr.src, hint=hint)
            continue
        expr = attr.expr
        if type(expr) is ast.Literal and type(expr.value) is _SAME_AS_DECODED.get(spec.type):
            # Most attributes are a literal of their type (a quoted string, a whole number): no
            # evaluation, no check, no conversion would change it.
            out.values[name] = expr.value
            out.srcs[name] = attr.src
            out.exprs[name] = expr
            continue
        try:
            value = evaluate(expr, scope)
        except EvalError as exc:
            diags.add(exc.diagnostic)
            continue
        problem = type_problem(value, spec.type)
        if problem:
            diags.error(
                f"wrong type for {name!r} in {_block_title(block)}: {problem}",
                attr.src,
                hint=f"{name} must be a {spec.type}",
            )
            continue
        out.values[name] = _normalize(value, spec.type)
        out.srcs[name] = attr.src
        out.exprs[name] = attr.expr
    for name, spec in schema.attrs.items():
        if spec.required and name not in block.body.attributes:
            diags.error(
                f"missing required attribute {name!r} in {_block_title(block)}",
                block.src,
                hint=f"add {name} = ...{f' ({spec.doc})' if spec.doc else ''}",
            )
    for nested in block.body.blocks:
        sub = schema.blocks.get(nested.type)
        if sub is None:
            attr_hint = (
                f"{nested.type} is an attribute: write {nested.type} = ..." if nested.type in schema.attrs else ""
            )
            diags.error(
                f"unknown block {nested.type!r} in {_block_title(block)}",
                nested.src,
                hint=attr_hint or _suggest(nested.type, list(schema.blocks) + list(schema.attrs)),
            )
            continue
        seen = out.blocks.setdefault(nested.type, [])
        if seen and not sub.repeatable:
            diags.error(
                f"duplicate {nested.type!r} block in {_block_title(block)}",
                nested.src,
                detail=f"the first one is at line {seen[0].src.line}",
                hint="merge the two blocks",
            )
            continue
        decoded = decode(nested, sub, scope, diags)
        if decoded is not None:
            seen.append(decoded)
    for name, sub in schema.blocks.items():
        if sub.required and not out.blocks.get(name):
            diags.error(
                f"missing required block {name!r} in {_block_title(block)}", block.src, hint=f"add {name} {{ ... }}"
            )
    return out


# A literal of this Python type is already what `decode` makes of it for the schema type.
_SAME_AS_DECODED: dict[str, type] = {"string": str, "number": int, "bool": bool}


def _block_title(block: ast.Block) -> str:
    return f'{block.type} "{block.labels[0]}"' if block.labels else block.type


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"allowed here: {', '.join(sorted(known))}" if known else "nothing is allowed here"


def type_problem(value: object, type_: str) -> str:
    """A short description of why `value` is not a `type_`, or "" when it is."""
    if type_ == "any":
        return ""
    if type_ == "string":
        return "" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else f"got {_describe(value)}"
    if type_ == "number":
        if isinstance(value, bool):
            return f"got {_describe(value)}"
        if isinstance(value, (int, float)):
            return ""
        if isinstance(value, str):
            try:
                float(value)
                return ""
            except ValueError:
                pass
        return f"got {_describe(value)}"
    if type_ == "bool":
        return "" if isinstance(value, bool) or value in ("true", "false") else f"got {_describe(value)}"
    if type_.startswith("list("):
        if not isinstance(value, list):
            return f"got {_describe(value)}"
        inner = type_[5:-1]
        for i, item in enumerate(value):
            problem = type_problem(item, inner)
            if problem:
                return f"element {i}: {problem}"
        return ""
    if type_.startswith("map("):
        if not isinstance(value, dict):
            return f"got {_describe(value)}"
        inner = type_[4:-1]
        for k, item in value.items():
            problem = type_problem(item, inner)
            if problem:
                return f"key {k!r}: {problem}"
        return ""
    raise AssertionError(f"unknown schema type {type_}")


def _normalize(value: object, type_: str) -> object:
    """Convert values the way Terraform does: numbers to strings where a string is wanted."""
    if type_ == "string" and not isinstance(value, str):
        from meshctl.config.functions import to_string

        return to_string(value)
    if type_ == "number" and isinstance(value, str):
        f = float(value)
        return int(f) if f.is_integer() else f
    if type_ == "bool" and isinstance(value, str):
        return value == "true"
    if type_.startswith("list(") and isinstance(value, list):
        return [_normalize(v, type_[5:-1]) for v in value]
    if type_.startswith("map(") and isinstance(value, dict):
        return {k: _normalize(v, type_[4:-1]) for k, v in value.items()}
    return value


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"bool {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}" if len(value) < 40 else "a string"
    if isinstance(value, list):
        return "a list"
    return "a map"
