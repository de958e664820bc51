"""Expression evaluation, table-driven: what Terraform users expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.evaluate import EvalError, Namespace, Scope, evaluate
from meshctl.config.functions import make_functions
from meshctl.config.hcl import parse

VARS = {"env": "prod", "n": 3, "tags": {"team": "sales"}, "list": [1, 2, 3]}


def _eval(text: str, tmp_path: Path) -> object:
    body = parse(f"x = {text}\n", "t.hcl")
    scope = Scope({"var": Namespace(VARS), "local": Namespace({"l": "L"})}, make_functions(tmp_path))
    return evaluate(body.attributes["x"].expr, scope)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('"plain"', "plain"),
        ('"${var.env}-x"', "prod-x"),
        ("var.n * 2 + 1", 7),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("-var.n", -3),
        ('var.n > 2 && var.env == "prod"', True),
        ('var.env == "dev" ? 1 : 2', 2),
        ("!true", False),
        ('lower("ABC")', "abc"),
        ("upper(var.env)", "PROD"),
        ('format("%s.%s.v%d", "commerce", "orders", 2)', "commerce.orders.v2"),
        ('format("%05d|%q", 42, "x")', '00042|"x"'),
        ('merge(var.tags, {owner = "x"})', {"team": "sales", "owner": "x"}),
        ("concat([1], var.list)", [1, 1, 2, 3]),
        ("jsonencode({b = 1, a = [true, null]})", '{"a":[true,null],"b":1}'),
        ('join(",", ["a", "b"])', "a,b"),
        ("length(var.list)", 3),
        ('lookup(var.tags, "team", "none")', "sales"),
        ('lookup(var.tags, "nope", "none")', "none"),
        ("[for v in var.list : v * 10 if v > 1]", [20, 30]),
        ("{for k, v in var.tags : upper(k) => v}", {"TEAM": "sales"}),
        ("var.list[1]", 2),
        ('var.tags["team"]', "sales"),
        ("local.l", "L"),
        ('"${var.n}"', "3"),
        ("max(var.list...)", 3),
        ('{"retention.ms" = 7 * 24}', {"retention.ms": 168}),
    ],
)
def test_expressions(text: str, expected: object, tmp_path: Path) -> None:
    assert _eval(text, tmp_path) == expected


def test_file_reads_relative_to_the_mesh(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text('{"type": "record"}')
    assert _eval('jsondecode(file("schema.json"))', tmp_path) == {"type": "record"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("var.nope", "undeclared value 'nope'"),
        ("var.ennv", "did you mean 'env'"),
        ("lowr(var.env)", "unknown function 'lowr'"),
        ('file("missing.txt")', "no file 'missing.txt'"),
        ('"${var.list}"', "cannot interpolate a list"),
        ('var.n + "x"', "expected a number"),
        ("var.list[7]", "out of range"),
        ('format("%s %s", "a")', "needs more arguments"),
        ("1 / 0", "division by zero"),
        ("merge(var.tags, [1])", "merge argument 2 must be a map"),
        ("foo", "unknown name 'foo'"),
    ],
)
def test_errors_say_what_is_wrong(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(EvalError) as info:
        _eval(text, tmp_path)
    rendered = info.value.diagnostic.format()
    assert message in rendered
    assert rendered.startswith("t.hcl:1: error:")
