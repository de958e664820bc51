"""`validation { condition = ..., error_message = ... }` blocks of a `variable`, as Terraform has them.

A variable may have several; each condition is evaluated with the variable's final value
(after every source of values was applied) and must be true or false. A false one is an error
at the validation block's line that names the variable and where its value came from; a
sensitive variable's value is never shown, nor a message computed from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from meshctl.config import ast
from meshctl.config.evaluate import EvalError, Namespace, Scope, evaluate
from meshctl.errors import Diagnostics, SourceRange


@dataclass(frozen=True)
class Validation:
    condition: ast.Expr | None
    error_message: ast.Expr | None
    src: SourceRange


def read_validations(block: ast.Block, diags: Diagnostics) -> tuple[list[Validation], ast.Block]:
    """The `validation` blocks of a variable block, and the block without them (to decode the rest)."""
    found: list[Validation] = []
    for nested in block.body.blocks_of("validation"):
        attrs = nested.body.attributes
        for name, attr in attrs.items():
            if name not in ("condition", "error_message"):
                diags.error(
                    f"unknown attribute {name!r} in a validation block",
                    attr.src,
                    hint="a validation block holds condition = ... and error_message = ...",
                )
        for nested_block in nested.body.blocks:
            diags.error(f"unknown block {nested_block.type!r} in a validation block", nested_block.src)
        for required in ("condition", "error_message"):
            if required not in attrs:
                diags.error(
                    f'missing required attribute {required!r} in a validation block of variable "{block.label}"',
                    nested.src,
                    hint='write validation { condition = ..., error_message = "..." }',
                )
        cond, message = attrs.get("condition"), attrs.get("error_message")
        found.append(Validation(cond.expr if cond else None, message.expr if message else None, nested.src))
    rest = ast.Body(dict(block.body.attributes), [b for b in block.body.blocks if b.type != "validation"])
    return found, ast.Block(block.type, block.labels, rest, block.src)


def check(
    name: str,
    value: object,
    sensitive: bool,
    origin: str,
    validations: Sequence[Validation],
    functions: Scope,
    diags: Diagnostics,
) -> None:
    """Each validation of `name` against its value; a failure reports where the value came from."""
    scope = Scope({"var": Namespace({name: value})}, functions.functions)
    for v in validations:
        if v.condition is None or v.error_message is None:
            continue  # already reported by read_validations
        try:
            ok = evaluate(v.condition, scope)
        except EvalError as exc:
            d = exc.diagnostic
            diags.error(
                f'variable "{name}": its validation condition failed to evaluate: {d.summary}',
                d.source or v.src,
                detail=d.detail if not sensitive else "",
                hint=d.hint or f"a condition reads only var.{name}",
            )
            continue
        if not isinstance(ok, bool):
            diags.error(
                f'variable "{name}": a validation condition must be true or false, got {type(ok).__name__}',
                v.condition.src,
            )
            continue
        if ok:
            continue
        diags.error(
            f'variable "{name}" has an invalid value: {_message(name, v, scope, sensitive, diags)}',
            v.src,
            detail=f"the value came from {origin}" + (" (sensitive: not shown)" if sensitive else ""),
            hint="this is the variable's validation block",
        )


def _message(name: str, v: Validation, scope: Scope, sensitive: bool, diags: Diagnostics) -> str:
    assert v.error_message is not None
    if sensitive and any(ref[:2] == ("var", name) for ref in ast.references(v.error_message)):
        return "(the error message reads the sensitive value: not shown)"
    try:
        message = evaluate(v.error_message, scope)
    except EvalError as exc:
        diags.add(exc.diagnostic)
        return "(the error message failed to evaluate)"
    if not isinstance(message, str) or not message:
        return f"validation failed (error_message must be a non-empty string, got {message!r})"
    return message
