"""What a schema or policy change adds and removes, as data the views draw. Pure.

A schema is compared field by field (schemas.diff), a policy document statement by statement
(in canonical form, so order and spelling are no difference): the planner does it once, and
the text, Markdown and drift views only show the result.
"""

from __future__ import annotations

from collections.abc import Mapping

from meshctl.iam.policy import PolicyError, statement_diff
from meshctl.plan.model import ADDED, CHANGED, REMOVED, PolicyChange, SchemaChange
from meshctl.schemas.diff import diff_schemas

POLICY_KEYS = ("assume_role_policy", "policy")  # attributes that hold one policy document
INLINE_POLICIES = "inline_policies"  # name -> policy document

_ADDING = {"added", "default_added", "required_added", "symbol_added"}
_REMOVING = {"removed", "default_removed", "required_removed", "symbol_removed"}


def schema_changes(
    type_: str, before: Mapping[str, object], after: Mapping[str, object]
) -> tuple[SchemaChange, ...] | None:
    """The field-level changes of a subject's schema; None unless the schema itself changes.
    A schema this meshctl cannot read shows as a change of layout only."""
    old, new = before.get("schema"), after.get("schema")
    if type_ != "schema_subject" or old == new or not old or not new:
        return None
    try:
        found = diff_schemas(str(before.get("schema_type", "AVRO")), str(old), str(new))
    except Exception:  # an unparsable schema from the registry: the change still shows
        return ()
    return tuple(SchemaChange(ch.kind, _effect(ch.kind), ch.describe()) for ch in found)


def _effect(kind: str) -> str:
    return ADDED if kind in _ADDING else REMOVED if kind in _REMOVING else CHANGED


def policy_changes(before: Mapping[str, object], after: Mapping[str, object]) -> tuple[PolicyChange, ...]:
    """Statements each changed policy document loses and gains."""
    out: list[PolicyChange] = []
    for key in POLICY_KEYS:
        old, new = before.get(key), after.get(key)
        if old != new and isinstance(old, str) and isinstance(new, str) and old and new:
            change = _statements((key,), CHANGED, old, new)
            if change is not None:
                out.append(change)
    old_inline, new_inline = before.get(INLINE_POLICIES), after.get(INLINE_POLICIES)
    if old_inline != new_inline and isinstance(old_inline, dict) and isinstance(new_inline, dict):
        for name in sorted({*old_inline, *new_inline}):
            path = (INLINE_POLICIES, str(name))
            if name not in new_inline:
                out.append(PolicyChange(path, REMOVED))
            elif name not in old_inline:
                change = _statements(path, ADDED, "{}", str(new_inline[name]))
                out.append(change or PolicyChange(path, ADDED))
            elif old_inline[name] != new_inline[name]:
                change = _statements(path, CHANGED, str(old_inline[name]), str(new_inline[name]))
                if change is not None:
                    out.append(change)
    return tuple(out)


def _statements(path: tuple[str, ...], effect: str, old: str, new: str) -> PolicyChange | None:
    try:
        removed, added = statement_diff(old, new)
    except PolicyError:  # not a policy document: shown as a plain value change
        return None
    return PolicyChange(path, effect, tuple(removed), tuple(added))
