"""IAM policy documents compared by meaning, not by text. Pure.

Key order, whitespace, a single action written as a string or a one-element list, and the
order of statements and of values in a list do not change what a policy allows, so none of
them is a difference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

_LISTY = {"Action", "NotAction", "Resource", "NotResource"}
_PRINCIPAL_KEYS = {"AWS", "Service", "Federated", "CanonicalUser"}


class PolicyError(ValueError):
    pass


def parse(document: object) -> dict[str, object]:
    """The policy as an object whose Statement is an object or a list of objects."""
    if isinstance(document, Mapping):
        doc = dict(document)
    elif not isinstance(document, str):
        raise PolicyError(f"a policy document must be JSON text or an object, got {type(document).__name__}")
    else:
        try:
            doc = json.loads(document)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"a policy document is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(doc, dict):
            raise PolicyError("a policy document must be a JSON object")
    statement_list(doc)
    return doc


def statement_list(doc: Mapping[str, object]) -> list[Mapping[str, object]]:
    """The Statement of a parsed policy as a list (one statement may be written alone)."""
    raw = doc.get("Statement", [])
    listed = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else None
    if listed is None or not all(isinstance(st, Mapping) for st in listed):
        raise PolicyError("a policy's Statement must be an object or a list of objects")
    return listed


def _norm_value(key: str, value: object) -> object:
    """Canonical form of one value: lists sorted, list-or-string keys always lists."""
    listy = key in _LISTY or key in _PRINCIPAL_KEYS
    if isinstance(value, Mapping):
        return {k: _norm_value(k, v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = sorted((_norm_value("", v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return items[0] if len(items) == 1 and not listy else items
    return [value] if listy else value


def statements(document: object) -> list[dict]:
    """The statements of a policy, each in canonical form, sorted."""
    canon = [{k: _norm_value(k, v) for k, v in sorted(st.items())} for st in statement_list(parse(document))]
    return sorted(canon, key=lambda s: json.dumps(s, sort_keys=True))


def canonical(document: object) -> str:
    """One text per meaning: what meshctl stores and compares."""
    doc = parse(document)
    out = {"Version": doc.get("Version", "2012-10-17"), "Statement": statements(doc)}
    return json.dumps(out, sort_keys=True, separators=(",", ":"))


def statement_diff(old: object, new: object) -> tuple[list[dict], list[dict]]:
    """(removed, added) statements between two policies."""
    before = {json.dumps(s, sort_keys=True): s for s in statements(old)} if old else {}
    after = {json.dumps(s, sort_keys=True): s for s in statements(new)} if new else {}
    return [before[k] for k in before if k not in after], [after[k] for k in after if k not in before]
