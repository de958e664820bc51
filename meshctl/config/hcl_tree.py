"""python-hcl2's lark parse tree to meshctl's own syntax tree (`config.ast`): the only module
that imports python-hcl2 and lark.

`config.hcl` imports it on the first parse, so a load whose files all come from the parse
cache (config.parse_cache) never pays for importing the parser (~0.1 s).
"""

from __future__ import annotations

import math
import re

import hcl2
from lark import Token, Tree
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from meshctl.config import ast
from meshctl.config.hcl_syntax import MAX_NESTING, HclSyntaxError, too_deep
from meshctl.errors import Diagnostic, SourceRange, error


def parse(text: str, filename: str) -> ast.Body:
    """Parse one HCL file; raises HclSyntaxError with `file:line`."""
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as exc:
        raise HclSyntaxError(_unterminated(text, filename, exc) or _syntax_diagnostic(exc, filename)) from exc
    except RecursionError:  # the parser's own recursion; the converter stops at MAX_NESTING first
        raise HclSyntaxError(too_deep(SourceRange(filename, 1))) from None
    return _Converter(filename).body(_body_of(tree))


def parse_expression(text: str, filename: str, line: int) -> ast.Expr:
    """Parse a standalone expression (a `--var` value, a heredoc interpolation)."""
    try:
        tree = hcl2.parses_to_tree(f"__expr = {text}\n")
    except UnexpectedInput as exc:
        raise HclSyntaxError(
            error("invalid expression", SourceRange(filename, line), detail=f"could not parse {text!r}")
        ) from exc
    body = _Converter(filename, line - 1).body(_body_of(tree))
    return body.attributes["__expr"].expr


def _unterminated(text: str, filename: str, exc: UnexpectedInput) -> Diagnostic | None:
    """Name the line where an unterminated string or an unclosed block starts.

    The parser notices both only later (at the next quote, or at the end of the file);
    a user wants the line where the mistake is.
    """
    error_line = getattr(exc, "line", 0) or 0
    opened: list[int] = []  # lines of `{` still open
    heredoc: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        in_string, escaped, depth = False, False, 0
        i = 0
        while i < len(line):
            ch = line[i]
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == "$" and line.startswith("${", i):
                    depth += 1
                    i += 1
                elif ch == "}" and depth:
                    depth -= 1
                elif ch == '"' and not depth:
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "#" or line.startswith("//", i):
                break
            elif line.startswith("<<", i):
                heredoc = line[i + 2 :].lstrip("-").strip() or None
                break
            elif ch == "{":
                opened.append(number)
            elif ch == "}" and opened:
                opened.pop()
            i += 1
        if in_string and number <= error_line:
            return error(
                "unterminated string",
                SourceRange(filename, number),
                hint='close the string with " on the same line, or use a heredoc (<<EOT) for several lines',
            )
    if opened and (isinstance(exc, UnexpectedEOF) or getattr(getattr(exc, "token", None), "type", "") == "$END"):
        return error(
            "unclosed block: no closing brace before the end of the file",
            SourceRange(filename, opened[0]),
            hint="add the missing }",
        )
    return None


def _syntax_diagnostic(exc: UnexpectedInput, filename: str) -> Diagnostic:
    line = getattr(exc, "line", 0) or 0
    col = getattr(exc, "column", 0) or 0
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        summary = "unexpected end of file"
        hint = "check for an unclosed brace, bracket or string"
    elif isinstance(exc, UnexpectedToken):
        found = str(exc.token).strip() or exc.token.type
        summary = f"unexpected {found[:30]!r}"
        hint = _expected_hint(exc.expected)
    elif isinstance(exc, UnexpectedCharacters):
        summary = f"unexpected character {exc.char!r}"
        hint = "HCL strings use double quotes; comments start with # or //"
    else:
        summary = "invalid syntax"
        hint = ""
    return error(f"syntax error: {summary}", SourceRange(filename, line), detail=f"at column {col}", hint=hint)


_TOKEN_WORDS = {
    "RBRACE": "'}'",
    "RSQB": "']'",
    "RPAR": "')'",
    "COMMA": "','",
    "EQ": "'='",
    "COLON": "':'",
    "DBLQUOTE": "a closing '\"'",
    "NAME": "a name",
    "LBRACE": "'{'",
    "NL_OR_COMMENT": "a new line",
}


def _expected_hint(expected: set[str]) -> str:
    words = sorted({_TOKEN_WORDS[t] for t in expected if t in _TOKEN_WORDS})
    if not words:
        return "check the syntax near this line"
    return "expected " + " or ".join(words[:4])


def _body_of(tree: Tree) -> Tree:
    for child in tree.children:
        if isinstance(child, Tree) and child.data == "body":
            return child
    raise AssertionError("hcl2 tree without a body")


def _subtrees(tree: Tree) -> list[Tree]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


class _Converter:
    def __init__(self, filename: str, line_offset: int = 0):
        self.filename = filename
        self.line_offset = line_offset
        self.depth = 0  # of blocks and expressions, checked against MAX_NESTING

    def src(self, node: Tree | Token, fallback: SourceRange | None = None) -> SourceRange:
        line = getattr(node, "line", None) if isinstance(node, Token) else getattr(node.meta, "line", None)
        if line is None:
            return fallback or SourceRange(self.filename, 0)
        return SourceRange(self.filename, line + self.line_offset)

    # -- structure --------------------------------------------------------

    def body(self, tree: Tree) -> ast.Body:
        self._descend(tree)
        try:
            return self._body(tree)
        finally:
            self.depth -= 1

    def _descend(self, tree: Tree | Token, parent: SourceRange | None = None) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise HclSyntaxError(too_deep(self.src(tree, parent)))

    def _body(self, tree: Tree) -> ast.Body:
        body = ast.Body()
        for child in _subtrees(tree):
            if child.data == "attribute":
                attr = self.attribute(child)
                if attr.name in body.attributes:
                    first = body.attributes[attr.name].src
                    raise HclSyntaxError(
                        error(
                            f"duplicate attribute {attr.name!r}",
                            attr.src,
                            detail=f"{attr.name!r} is already set at line {first.line}",
                            hint="remove one of the two",
                        )
                    )
                body.attributes[attr.name] = attr
            elif child.data == "block":
                body.blocks.append(self.block(child))
        return body

    def attribute(self, tree: Tree) -> ast.Attribute:
        parts = _subtrees(tree)
        name = _identifier(parts[0])
        src = self.src(tree)
        return ast.Attribute(name, self.expr(parts[1], src), src)

    def block(self, tree: Tree) -> ast.Block:
        parts = _subtrees(tree)
        type_ = _identifier(parts[0])
        labels: list[str] = []
        body = ast.Body()
        for part in parts[1:]:
            if part.data == "identifier":
                labels.append(_identifier(part))
            elif part.data == "string":
                labels.append("".join(p for p in self.string_parts(part, self.src(tree)) if isinstance(p, str)))
            elif part.data == "body":
                body = self.body(part)
        return ast.Block(type_, labels, body, self.src(tree))

    # -- expressions ------------------------------------------------------

    def expr(self, tree: Tree | Token, parent: SourceRange) -> ast.Expr:
        if isinstance(tree, Token) or (tree.data == "expr_term" and not _parenthesized(tree)):
            # a wrapper the grammar adds, not a level the user wrote
            return self._expr(tree, parent)
        self._descend(tree, parent)
        try:
            return self._expr(tree, parent)
        finally:
            self.depth -= 1

    def _expr(self, tree: Tree | Token, parent: SourceRange) -> ast.Expr:
        src = self.src(tree, parent)
        if isinstance(tree, Token):
            return self.token_literal(tree, src)
        kind = tree.data
        kids = _subtrees(tree)
        if kind == "expr_term":
            if not kids:  # `( expr )` keeps the parens as tokens
                return self.token_literal(tree.children[0], src)
            return self.expr(kids[0], src)
        if kind == "literal_value":
            word = str(tree.children[0])
            return ast.Literal({"true": True, "false": False, "null": None}[word], src)
        if kind == "int_lit":
            return ast.Literal(int(str(tree.children[0])), src)
        if kind == "float_lit":
            text = str(tree.children[0])
            value = float(text)
            if not math.isfinite(value):
                raise HclSyntaxError(error(f"number {text} is too large", src, hint="numbers must be finite"))
            return ast.Literal(int(value) if value.is_integer() and "." not in text else value, src)
        if kind == "string":
            return _template(self.string_parts(tree, src), src)
        if kind in ("heredoc_template", "heredoc_template_trim"):
            return self.heredoc(str(tree.children[0]), kind.endswith("trim"), src)
        if kind == "identifier":
            return ast.Variable(_identifier(tree), src)
        if kind == "get_attr_expr_term":
            target = self.expr(kids[0], src)
            return ast.GetAttr(target, _identifier(_subtrees(kids[1])[0]), src)
        if kind == "index_expr_term":
            target = self.expr(kids[0], src)
            index = kids[1]
            if index.data == "short_index":  # legacy `x.0`
                return ast.Index(target, ast.Literal(int(str(index.children[-1])), src), src)
            return ast.Index(target, self.expr(_subtrees(index)[0], src), src)
        if kind in ("full_splat_expr_term", "attr_splat_expr_term"):
            return self.splat(kids, src)
        if kind == "function_call":
            name = _identifier(kids[0])
            args: list[ast.Expr] = []
            expand = False
            if len(kids) > 1:
                arguments = kids[1]
                args = [self.expr(a, src) for a in _subtrees(arguments)]
                expand = any(isinstance(c, Token) and str(c) == "..." for c in arguments.children)
            return ast.Call(name, tuple(args), src, expand)
        if kind == "tuple":
            return ast.TupleExpr(tuple(self.expr(k, src) for k in kids), src)
        if kind == "object":
            items = []
            for elem in kids:
                key_tree, value_tree = _subtrees(elem)
                items.append((self.object_key(key_tree, src), self.expr(value_tree, src)))
            return ast.ObjectExpr(tuple(items), src)
        if kind == "binary_op":
            left = self.expr(kids[0], src)
            term = _subtrees(kids[1])
            op = str(term[0].children[0]).strip()  # the token keeps a newline written before the operator
            return ast.BinaryOp(op, left, self.expr(term[1], src), src)
        if kind == "unary_op":
            return ast.UnaryOp(str(tree.children[0]).strip(), self.expr(kids[0], src), src)
        if kind == "conditional":
            cond, then, otherwise = (self.expr(k, src) for k in kids[:3])
            return ast.Conditional(cond, then, otherwise, src)
        if kind in ("for_tuple_expr", "for_object_expr"):
            return self.for_expr(tree, src)
        raise HclSyntaxError(
            error(
                f"unsupported expression ({kind.replace('_', ' ')})",
                src,
                hint="meshctl supports literals, references, function calls, operators and for expressions",
            )
        )

    def splat(self, kids: list[Tree], src: SourceRange) -> ast.Expr:
        """`x[*].a[0]`: the steps after the splat apply to each element (python-hcl2 gives them
        as `get_attr` and `braces_index` children of the `full_splat`/`attr_splat` node)."""
        target = self.expr(kids[0], src)
        each: ast.Expr = ast.Variable(ast.SPLAT_ITEM, src)
        for step in _subtrees(kids[1]):
            if step.data == "get_attr":
                each = ast.GetAttr(each, _identifier(_subtrees(step)[0]), src)
            elif step.data == "braces_index":
                each = ast.Index(each, self.expr(_subtrees(step)[0], src), src)
            else:
                raise HclSyntaxError(error(f"unsupported step after a splat ({step.data.replace('_', ' ')})", src))
        return ast.Splat(target, each, src)

    def token_literal(self, token: object, src: SourceRange) -> ast.Expr:
        raise HclSyntaxError(error(f"unsupported expression {str(token)!r}", src))

    def object_key(self, tree: Tree, src: SourceRange) -> ast.Expr:
        inner = _subtrees(tree)[0]
        if inner.data == "expr_term":
            sub = _subtrees(inner)
            if len(sub) == 1 and sub[0].data == "identifier":
                return ast.Literal(_identifier(sub[0]), src)  # bare keys are names, not references
        if inner.data == "identifier":
            return ast.Literal(_identifier(inner), src)
        return self.expr(inner, src)

    def for_expr(self, tree: Tree, src: SourceRange) -> ast.ForExpr:
        kids = _subtrees(tree)
        intro = _subtrees(kids[0])
        names = [_identifier(t) for t in intro if t.data == "identifier"]
        collection = self.expr([t for t in intro if t.data != "identifier"][0], src)
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        rest = kids[1:]
        cond = None
        if rest and rest[-1].data == "for_cond":
            cond = self.expr(_subtrees(rest[-1])[0], src)
            rest = rest[:-1]
        if tree.data == "for_object_expr":
            return ast.ForExpr(
                key_var, value_var, collection, self.expr(rest[0], src), self.expr(rest[1], src), cond, src
            )
        return ast.ForExpr(key_var, value_var, collection, None, self.expr(rest[0], src), cond, src)

    def string_parts(self, tree: Tree, src: SourceRange) -> list[ast.TemplatePart]:
        parts: list[ast.TemplatePart] = []
        for part in tree.children:
            if not isinstance(part, Tree) or part.data != "string_part":
                continue
            for piece in part.children:
                if isinstance(piece, Tree) and piece.data == "interpolation":
                    parts.append(self.expr(_subtrees(piece)[0], src))
                elif isinstance(piece, Tree):
                    raise HclSyntaxError(error("template directives (%{...}) are not supported", src))
                elif getattr(piece, "type", "") in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    parts.append(str(piece)[1:])  # `$${x}` is the literal text `${x}`
                else:
                    parts.append(_unescape(str(piece), src))
        return _merge_strings(parts)

    def heredoc(self, raw: str, trim: bool, src: SourceRange) -> ast.Expr:
        lines = raw.split("\n")
        body = lines[1:-1] if len(lines) > 2 else []
        if body and body[-1].strip() == lines[0].lstrip("<-").strip():
            body = body[:-1]
        if trim:
            indents = [len(ln) - len(ln.lstrip()) for ln in body if ln.strip()]
            cut = min(indents, default=0)
            body = [ln[cut:] for ln in body]
        text = "\n".join(body) + ("\n" if body else "")
        return _template(_split_template(text, self, src), src)


def _parenthesized(tree: Tree) -> bool:
    return any(isinstance(c, Token) and str(c) == "(" for c in tree.children)


def _identifier(tree: Tree) -> str:
    return str(tree.children[0])


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def _unescape(text: str, src: SourceRange) -> str:
    def repl(m: re.Match[str]) -> str:
        seq = m.group(1)
        if seq[0] in "uU" and len(seq) > 1:
            if int(seq[1:], 16) > 0x10FFFF or 0xD800 <= int(seq[1:], 16) <= 0xDFFF:
                raise HclSyntaxError(error(f"invalid unicode escape \\{seq} in a string", src))
            return chr(int(seq[1:], 16))
        if seq not in _ESCAPES:
            raise HclSyntaxError(
                error(
                    f"unknown escape sequence \\{seq} in a string",
                    src,
                    hint=r"escapes are \n \r \t \" \\ \uNNNN \UNNNNNNNN; write \\ for a backslash",
                )
            )
        return _ESCAPES[seq]

    return _ESCAPE_RE.sub(repl, text)


def _template(parts: list[ast.TemplatePart], src: SourceRange) -> ast.Expr:
    """Text without interpolations is a literal string."""
    texts = [p for p in parts if isinstance(p, str)]
    if len(texts) == len(parts):
        return ast.Literal("".join(texts), src)
    return ast.Template(tuple(parts), src)


def _merge_strings(parts: list[ast.TemplatePart]) -> list[ast.TemplatePart]:
    merged: list[ast.TemplatePart] = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + p
        else:
            merged.append(p)
    return merged


def _split_template(text: str, conv: _Converter, src: SourceRange) -> list[ast.TemplatePart]:
    """Split heredoc text into literal strings and `${...}` expressions."""
    parts: list[ast.TemplatePart] = []
    i = 0
    while i < len(text):
        start = text.find("${", i)
        if start < 0:
            parts.append(text[i:])
            break
        if start > 0 and text[start - 1] == "$":  # `$${` is a literal `${`
            parts.append(text[i : start - 1] + "${")
            i = start + 2
            continue
        parts.append(text[i:start])
        depth, j = 1, start + 2
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if depth:
            raise HclSyntaxError(error("unclosed ${ in heredoc", src))
        parts.append(parse_expression(text[start + 2 : j - 1], conv.filename, src.line))
        i = j
    return _merge_strings([p for p in parts if p != ""])
