"""The hcl2 adapter: our syntax tree, with the line of every block and attribute."""

from __future__ import annotations

import pytest

from meshctl.config import ast
from meshctl.config.hcl import HclSyntaxError, parse

SOURCE = """variable "env" {
  default = "dev"
}

domain "sales" {
  parent = "commerce"

  owners {
    accountable = "a@b"
  }
  description = <<-EOT
    Sales of ${var.env}
    EOT
}
"""


def test_blocks_and_attributes_carry_their_lines() -> None:
    body = parse(SOURCE, "main.hcl")
    variable, domain = body.blocks
    assert (variable.type, variable.labels, variable.src.line) == ("variable", ["env"], 1)
    assert variable.body.attributes["default"].src.line == 2
    assert (domain.type, domain.labels, domain.src.line) == ("domain", ["sales"], 5)
    assert domain.body.attributes["parent"].src.line == 6
    owners = domain.body.blocks[0]
    assert owners.src.line == 8
    assert owners.body.attributes["accountable"].src.line == 9
    assert str(owners.body.attributes["accountable"].src) == "main.hcl:9"


def test_heredoc_is_trimmed_and_interpolated() -> None:
    body = parse(SOURCE, "main.hcl")
    expr = body.blocks[1].body.attributes["description"].expr
    assert isinstance(expr, ast.Template)
    assert expr.parts[0] == "Sales of "
    assert isinstance(expr.parts[1], ast.GetAttr)
    assert expr.parts[2] == "\n"


@pytest.mark.parametrize(
    "text, line",
    [
        ("a {\n  x = \n}\n", 2),
        ("a {\n  x = [1, 2\n}\n", 3),
        ('a "b" {\n  y = "unterminated\n}\n', 2),
        ("a {\n  b = 1\n  b = 2\n}\n", 3),
    ],
)
def test_syntax_errors_name_file_and_line(text: str, line: int) -> None:
    with pytest.raises(HclSyntaxError) as info:
        parse(text, "bad.hcl")
    diag = info.value.diagnostic
    assert diag.source is not None
    assert (diag.source.file, diag.source.line) == ("bad.hcl", line)
    assert diag.format().startswith(f"bad.hcl:{line}: error: ")


def test_escapes_and_literal_interpolation() -> None:
    body = parse('x = "a\\"b\\n$${y}"\n', "e.hcl")
    expr = body.attributes["x"].expr
    assert isinstance(expr, ast.Literal)
    assert expr.value == 'a"b\n${y}'


def test_references_lists_root_traversals() -> None:
    body = parse('x = format("%s-%s", var.a, local.b["k"])\ny = [for v in var.list : v if v != local.c]\n', "r.hcl")
    assert ast.references(body.attributes["x"].expr) == [("var", "a"), ("local", "b")]
    assert ast.references(body.attributes["y"].expr) == [("var", "list"), ("local", "c")]
