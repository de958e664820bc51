"""meshctl's own syntax tree for HCL: what the evaluator and the decoder read.

Only `config.hcl` builds these (from python-hcl2's parse tree), so the rest of the
package never depends on the parser library's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meshctl.errors import SourceRange


class Expr:
    """Base of expression nodes; every node knows where it came from."""

    src: SourceRange


@dataclass(frozen=True)
class Literal(Expr):
    value: object
    src: SourceRange


# A piece of a template: literal text or an interpolated expression.
TemplatePart = str | Expr


@dataclass(frozen=True)
class Template(Expr):
    """A string with `${...}` parts."""

    parts: tuple[TemplatePart, ...]
    src: SourceRange


@dataclass(frozen=True)
class Variable(Expr):
    """A bare identifier at the root of a traversal (`var`, `local`, a for-variable)."""

    name: str
    src: SourceRange


@dataclass(frozen=True)
class GetAttr(Expr):
    target: Expr
    name: str
    src: SourceRange


@dataclass(frozen=True)
class Index(Expr):
    target: Expr
    key: Expr
    src: SourceRange


@dataclass(frozen=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    src: SourceRange
    expand_last: bool = False


@dataclass(frozen=True)
class TupleExpr(Expr):
    items: tuple[Expr, ...]
    src: SourceRange


@dataclass(frozen=True)
class ObjectExpr(Expr):
    items: tuple[tuple[Expr, Expr], ...]
    src: SourceRange


@dataclass(frozen=True)
class BinaryOp(Expr):
    op: str
    left: Expr
    right: Expr
    src: SourceRange


@dataclass(frozen=True)
class UnaryOp(Expr):
    op: str
    operand: Expr
    src: SourceRange


@dataclass(frozen=True)
class Conditional(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr
    src: SourceRange


@dataclass(frozen=True)
class ForExpr(Expr):
    key_var: str | None
    value_var: str
    collection: Expr
    key_expr: Expr | None  # set for object results `{for k, v in x : k => v}`
    value_expr: Expr
    cond: Expr | None
    src: SourceRange


# The name a splat's per-element expression reads its element under: not an identifier, so it
# can never clash with a name the user writes.
SPLAT_ITEM = "[*]"


@dataclass(frozen=True)
class Splat(Expr):
    """`target[*].a.b` (or the legacy `target.*.a`): `each` is evaluated for every element of
    the list `target`, with the element bound to `SPLAT_ITEM`."""

    target: Expr
    each: Expr
    src: SourceRange


@dataclass
class Attribute:
    name: str
    expr: Expr
    src: SourceRange


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body
    src: SourceRange

    @property
    def label(self) -> str:
        return self.labels[0] if self.labels else ""


@dataclass
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]


def references(expr: Expr) -> list[tuple[str, ...]]:
    """Root traversals an expression reads (e.g. ('var', 'env'), ('local', 'x'))."""
    out: list[tuple[str, ...]] = []

    def walk(e: object, bound: frozenset[str]) -> None:
        path = _traversal(e)
        if path is not None:
            if path[0] not in bound:
                out.append(path)
            return
        if isinstance(e, Template):
            for p in e.parts:
                if isinstance(p, Expr):
                    walk(p, bound)
        elif isinstance(e, GetAttr):
            walk(e.target, bound)
        elif isinstance(e, Index):
            walk(e.target, bound)
            walk(e.key, bound)
        elif isinstance(e, Call):
            for a in e.args:
                walk(a, bound)
        elif isinstance(e, TupleExpr):
            for a in e.items:
                walk(a, bound)
        elif isinstance(e, ObjectExpr):
            for k, v in e.items:
                walk(k, bound)
                walk(v, bound)
        elif isinstance(e, BinaryOp):
            walk(e.left, bound)
            walk(e.right, bound)
        elif isinstance(e, UnaryOp):
            walk(e.operand, bound)
        elif isinstance(e, Conditional):
            walk(e.cond, bound)
            walk(e.then, bound)
            walk(e.otherwise, bound)
        elif isinstance(e, Splat):
            walk(e.target, bound)
            walk(e.each, bound | {SPLAT_ITEM})
        elif isinstance(e, ForExpr):
            walk(e.collection, bound)
            inner = bound | {e.value_var} | ({e.key_var} if e.key_var else set())
            for sub in (e.key_expr, e.value_expr, e.cond):
                if sub is not None:
                    walk(sub, inner)

    walk(expr, frozenset())
    return out


def _traversal(e: object) -> tuple[str, ...] | None:
    """`var.a.b` as ('var', 'a', 'b'); None when `e` is not a plain attribute chain."""
    names: list[str] = []
    while isinstance(e, GetAttr):
        names.append(e.name)
        e = e.target
    if isinstance(e, Variable):
        return (e.name, *reversed(names))
    return None
