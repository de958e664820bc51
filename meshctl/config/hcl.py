"""Parsing HCL into meshctl's own syntax tree (`config.ast`), with a source range on every
block, attribute and expression.

The parser itself (python-hcl2 and lark, in `config.hcl_tree`) is imported on the first
parse, not with this module: a load whose files all come from the parse cache
(config.parse_cache), the usual re-plan, never needs it, and importing it costs ~0.1 s.
"""

from __future__ import annotations

from meshctl.config import ast
from meshctl.config.hcl_syntax import MAX_NESTING, HclSyntaxError

__all__ = ["MAX_NESTING", "HclSyntaxError", "parse", "parse_expression"]


def parse(text: str, filename: str) -> ast.Body:
    """Parse one HCL file; raises HclSyntaxError with `file:line`."""
    from meshctl.config import hcl_tree  # the parser, imported when first needed (see above)

    return hcl_tree.parse(text, filename)


def parse_expression(text: str, filename: str, line: int) -> ast.Expr:
    """Parse a standalone expression (a `--var` value, a heredoc interpolation)."""
    from meshctl.config import hcl_tree

    return hcl_tree.parse_expression(text, filename, line)
