"""meshctl's syntax tree (`config.ast`) as plain JSON data, and back with strict shape checks.

The parse cache stores parsed files in this form: data only, so reading an entry can never
run code. Every node is a list `[tag, line, fields...]`; every source range of one file
names that file, so only the line is kept and the name is given back on decoding. Anything
that does not have exactly the expected shape raises `CodecError` (for the cache: a miss).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from meshctl.config import ast
from meshctl.errors import SourceRange

FORMAT = 2  # bump when the encoding or `config.ast` changes shape


class CodecError(ValueError):
    """A tree that cannot be encoded, or data that is not an encoded tree."""


# -- encoding ----------------------------------------------------------------


def encode_body(body: ast.Body, file: str) -> dict[str, object]:
    """`body` as JSON-ready data; raises CodecError for a node from another file or a non-JSON value."""
    return _Encoder(file).body(body)


class _Encoder:
    def __init__(self, file: str) -> None:
        self.file = file

    def line(self, src: SourceRange) -> int:
        if not isinstance(src, SourceRange) or src.file != self.file:
            raise CodecError(f"source range {src!r} is not in {self.file}")
        return src.line

    def body(self, body: ast.Body) -> dict[str, object]:
        attributes = []
        for name, attr in body.attributes.items():
            if name != attr.name:
                raise CodecError(f"attribute {attr.name!r} is filed under {name!r}")
            attributes.append([attr.name, self.line(attr.src), self.expr(attr.expr)])
        blocks = [[b.type, list(b.labels), self.line(b.src), self.body(b.body)] for b in body.blocks]
        return {"attributes": attributes, "blocks": blocks}

    def optional(self, e: ast.Expr | None) -> object:
        return None if e is None else self.expr(e)

    def expr(self, e: ast.Expr) -> list[object]:
        if not isinstance(e, ast.Expr):
            raise CodecError(f"{e!r} is not an expression")
        line = self.line(e.src)
        match e:
            case ast.Literal(value=value):
                return ["lit", line, _scalar(value)]
            case ast.Template(parts=parts):
                return ["tpl", line, [p if isinstance(p, str) else self.expr(p) for p in parts]]
            case ast.Variable(name=name):
                return ["var", line, name]
            case ast.GetAttr(target=target, name=name):
                return ["attr", line, self.expr(target), name]
            case ast.Index(target=target, key=key):
                return ["index", line, self.expr(target), self.expr(key)]
            case ast.Call(name=name, args=args, expand_last=expand_last):
                return ["call", line, name, [self.expr(a) for a in args], expand_last]
            case ast.TupleExpr(items=items):
                return ["tuple", line, [self.expr(i) for i in items]]
            case ast.ObjectExpr(items=items):
                return ["object", line, [[self.expr(k), self.expr(v)] for k, v in items]]
            case ast.BinaryOp(op=op, left=left, right=right):
                return ["binary", line, op, self.expr(left), self.expr(right)]
            case ast.UnaryOp(op=op, operand=operand):
                return ["unary", line, op, self.expr(operand)]
            case ast.Conditional(cond=cond, then=then, otherwise=otherwise):
                return ["cond", line, self.expr(cond), self.expr(then), self.expr(otherwise)]
            case ast.Splat(target=target, each=each):
                return ["splat", line, self.expr(target), self.expr(each)]
            case ast.ForExpr():
                return [
                    "for",
                    line,
                    e.key_var,
                    e.value_var,
                    self.expr(e.collection),
                    self.optional(e.key_expr),
                    self.expr(e.value_expr),
                    self.optional(e.cond),
                ]
        raise CodecError(f"no encoding for {type(e).__name__}")


def _scalar(value: object) -> object:
    """A literal's value, as HCL gives it: a string, a finite number, a bool or null."""
    if value is None or type(value) in (str, bool, int):
        return value
    if type(value) is float and math.isfinite(value):
        return value
    raise CodecError(f"literal {value!r} is not a JSON scalar")


# -- decoding ----------------------------------------------------------------


def decode_body(data: object, file: str) -> ast.Body:
    """The tree `encode_body` gave for `file`; raises CodecError unless `data` has exactly that shape."""
    try:
        return _Decoder(file).body(data)
    except RecursionError as exc:  # a crafted, absurdly deep entry
        raise CodecError("tree too deep") from exc


def _str(value: object) -> str:
    if type(value) is not str:
        raise CodecError(f"expected a string, got {type(value).__name__}")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _list(value: object, length: int | None = None) -> list[object]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise CodecError(f"expected a list of {length if length is not None else 'any'} items")
    return value


class _Decoder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[int, SourceRange] = {}
        self.nodes: dict[str, tuple[int, Callable[[list[object], SourceRange], ast.Expr]]] = {
            "lit": (3, lambda n, src: ast.Literal(_scalar(n[2]), src)),
            "tpl": (3, lambda n, src: ast.Template(tuple(self.part(p) for p in _list(n[2])), src)),
            "var": (3, lambda n, src: ast.Variable(_str(n[2]), src)),
            "attr": (4, lambda n, src: ast.GetAttr(self.expr(n[2]), _str(n[3]), src)),
            "index": (4, lambda n, src: ast.Index(self.expr(n[2]), self.expr(n[3]), src)),
            "call": (5, self.call),
            "tuple": (3, lambda n, src: ast.TupleExpr(tuple(self.expr(i) for i in _list(n[2])), src)),
            "object": (3, self.object_expr),
            "binary": (5, lambda n, src: ast.BinaryOp(_str(n[2]), self.expr(n[3]), self.expr(n[4]), src)),
            "unary": (4, lambda n, src: ast.UnaryOp(_str(n[2]), self.expr(n[3]), src)),
            "cond": (5, lambda n, src: ast.Conditional(self.expr(n[2]), self.expr(n[3]), self.expr(n[4]), src)),
            "for": (8, self.for_expr),
            "splat": (4, lambda n, src: ast.Splat(self.expr(n[2]), self.expr(n[3]), src)),
        }

    def src(self, line: object) -> SourceRange:
        # One range per line, shared by the line's nodes (ranges are immutable): a 10,000-product
        # mesh has 190,000 nodes on 100,000 lines.
        if type(line) is not int or line < 0:
            raise CodecError("expected a line number")
        found = self.lines.get(line)
        if found is None:
            found = self.lines[line] = SourceRange(self.file, line)
        return found

    # body and expr are the hot path of a warm load (190,000 nodes at 10,000 products): the
    # shape checks are written out inline, and literals, nine nodes in ten, come first.

    def body(self, data: object) -> ast.Body:
        if type(data) is not dict or len(data) != 2 or "attributes" not in data or "blocks" not in data:
            raise CodecError("expected a body with attributes and blocks")
        raw_attributes, raw_blocks = data["attributes"], data["blocks"]
        if type(raw_attributes) is not list or type(raw_blocks) is not list:
            raise CodecError("expected a list of any items")
        expr, src = self.expr, self.src
        attributes: dict[str, ast.Attribute] = {}
        for item in raw_attributes:
            if type(item) is not list or len(item) != 3:
                raise CodecError("expected a list of 3 items")
            name, line, value = item
            if type(name) is not str:
                raise CodecError(f"expected a string, got {type(name).__name__}")
            if name in attributes:
                raise CodecError(f"attribute {name!r} twice")
            attributes[name] = ast.Attribute(name, expr(value), src(line))
        blocks: list[ast.Block] = []
        for item in raw_blocks:
            type_, labels, line, inner = _list(item, 4)
            blocks.append(ast.Block(_str(type_), [_str(x) for x in _list(labels)], self.body(inner), src(line)))
        return ast.Body(attributes, blocks)

    def expr(self, data: object) -> ast.Expr:
        if type(data) is not list or not data:
            raise CodecError("expected an expression node")
        tag = data[0]
        if tag == "lit" and len(data) == 3:
            value = data[2]
            kind = type(value)
            if not (value is None or kind is str or kind is int or kind is bool):
                value = _scalar(value)  # a float, or the error
            line = data[1]
            found = self.lines.get(line) if type(line) is int else None
            return ast.Literal(value, found if found is not None else self.src(line))
        if type(tag) is not str or tag not in self.nodes:
            raise CodecError("expected an expression node")
        length, build = self.nodes[tag]
        if len(data) != length:
            raise CodecError(f"a {tag} node has {length} items")
        return build(data, self.src(data[1]))

    def optional(self, data: object) -> ast.Expr | None:
        return None if data is None else self.expr(data)

    def part(self, data: object) -> str | ast.Expr:
        return data if type(data) is str else self.expr(data)

    def call(self, n: list[object], src: SourceRange) -> ast.Expr:
        if type(n[4]) is not bool:
            raise CodecError("expand_last is a bool")
        return ast.Call(_str(n[2]), tuple(self.expr(a) for a in _list(n[3])), src, n[4])

    def object_expr(self, n: list[object], src: SourceRange) -> ast.Expr:
        items = []
        for pair in _list(n[2]):
            key, value = _list(pair, 2)
            items.append((self.expr(key), self.expr(value)))
        return ast.ObjectExpr(tuple(items), src)

    def for_expr(self, n: list[object], src: SourceRange) -> ast.Expr:
        return ast.ForExpr(
            _opt_str(n[2]), _str(n[3]), self.expr(n[4]), self.optional(n[5]), self.expr(n[6]), self.optional(n[7]), src
        )
