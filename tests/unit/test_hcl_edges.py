"""Edges of the HCL adapter: nesting limits, string escapes, operators after a line break."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config import ast, hcl
from meshctl.config.evaluate import EvalError, Scope, evaluate
from meshctl.config.functions import make_functions


def _value(text: str) -> object:
    body = hcl.parse(f"a = {text}\n", "f.hcl")
    return evaluate(body.attributes["a"].expr, Scope({}, {}))


def test_nesting_up_to_the_limit_parses_and_one_more_does_not() -> None:
    depth = hcl.MAX_NESTING - 2  # the body and the attribute's own level count too
    assert isinstance(hcl.parse("a = " + "[" * depth + "]" * depth, "f.hcl").attributes["a"].expr, ast.TupleExpr)
    with pytest.raises(hcl.HclSyntaxError, match="nested too deeply"):
        hcl.parse("a = " + "[" * (depth + 2) + "]" * (depth + 2), "f.hcl")


@pytest.mark.parametrize(
    ("text", "expected"),
    [(r'"a\nb"', "a\nb"), (r'"\u00e9\U0001F600"', "é😀"), (r'"\\q"', "\\q"), (r'"\"x\""', '"x"')],
)
def test_known_escapes(text: str, expected: str) -> None:
    assert _value(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [(r'"\q"', r"unknown escape sequence \\q"), (r'"\uD800"', r"invalid unicode escape \\uD800")],
)
def test_unknown_escapes_are_errors_at_their_line(text: str, expected: str) -> None:
    with pytest.raises(hcl.HclSyntaxError, match=expected) as err:
        hcl.parse(f"\na = {text}\n", "f.hcl")
    assert str(err.value.diagnostic.source) == "f.hcl:2"


def test_an_operator_after_a_line_break() -> None:
    assert _value("(24 * 60\n* 1000)") == 1_440_000


def test_format_of_an_infinite_number_is_an_error() -> None:
    body = hcl.parse('a = format("%d", 1.5e300 * 1e300)\n', "f.hcl")
    with pytest.raises(EvalError, match="needs a finite number"):
        evaluate(body.attributes["a"].expr, Scope({}, make_functions(Path("."))))
