"""Schema registry schemas: validate, compare with the registry's copy, diff versions, judge compatibility.

Pure functions over schema text, one per question, dispatching on the registry's schemaType:

- `check_schema` raises SchemaError (with a line when known) for a schema the registry would reject;
- `canonical` gives a text that ignores whitespace and JSON key order (Protobuf: comments and whitespace),
  to compare a local file with what the registry returns;
- `diff_schemas` lists field-level changes (FieldChange, kinds in `model.CHANGE_KINDS`);
- `breaking_changes` keeps the changes that break a compatibility level, with the rule each one breaks.

Compatibility is judged per change, in two directions: BACKWARD (a reader with the new schema reads data
written with the old one) and FORWARD (a reader with the old schema reads data written with the new one).
FULL checks both; *_TRANSITIVE checks the same rules, the caller diffs against every earlier version; NONE
never breaks. The per-format rules (and their simplifications) are in avro.py, jsonschema.py and protobuf.py.
"""

from __future__ import annotations

from types import ModuleType

from meshctl.schemas import avro, jsonschema, protobuf
from meshctl.schemas.model import CHANGE_KINDS, Breaking, FieldChange, SchemaError

__all__ = [
    "CHANGE_KINDS",
    "COMPATIBILITY_LEVELS",
    "SCHEMA_TYPES",
    "Breaking",
    "FieldChange",
    "SchemaError",
    "breaking_changes",
    "canonical",
    "check_schema",
    "diff_schemas",
]

SCHEMA_TYPES = ("AVRO", "JSON", "PROTOBUF")
COMPATIBILITY_LEVELS = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)

# Each format module offers check(text), canonical(text), diff(old, new) and why_breaking(change, direction).
_FORMATS: dict[str, ModuleType] = {"AVRO": avro, "JSON": jsonschema, "PROTOBUF": protobuf}
_DIRECTIONS = {
    "BACKWARD": ("BACKWARD",),
    "FORWARD": ("FORWARD",),
    "FULL": ("BACKWARD", "FORWARD"),
    "NONE": (),
}


def check_schema(schema_type: str, text: str) -> None:
    """Raise SchemaError if `text` is not a valid schema of `schema_type` (AVRO, JSON or PROTOBUF)."""
    try:
        _format(schema_type).check(text)
    except RecursionError:  # the readers recurse per nesting level; no real schema comes near the limit
        raise SchemaError("nested too deeply to read") from None


def canonical(schema_type: str, text: str) -> str:
    """A text equal for schemas that differ only in whitespace and JSON key order (Protobuf: and comments).

    Doc strings and everything else are kept. Raises SchemaError when the text does not parse (JSON) or
    tokenize (Protobuf); it does not otherwise validate.
    """
    try:
        return _format(schema_type).canonical(text)
    except RecursionError:  # a live schema from the registry is not checked by validate
        raise SchemaError("nested too deeply to read") from None


def diff_schemas(schema_type: str, old: str, new: str) -> list[FieldChange]:
    """Field-level changes from `old` to `new`, ordered by path (stable within a path).

    Nested records/messages are walked; a named type met again is not walked twice, so recursive schemas end.
    Both texts are validated first (SchemaError).
    """
    try:
        changes = _format(schema_type).diff(old, new)
    except RecursionError:  # a live schema from the registry is not checked by validate
        raise SchemaError("nested too deeply to compare") from None
    return sorted(changes, key=lambda change: change.path.split("."))


def breaking_changes(schema_type: str, changes: list[FieldChange], compatibility: str) -> list[Breaking]:
    """The changes that break `compatibility`, each with the rule it breaks; one entry per broken direction."""
    rules = _format(schema_type)
    level = compatibility.upper()
    if level not in COMPATIBILITY_LEVELS:
        raise ValueError(f"unknown compatibility {compatibility!r}: expected one of {', '.join(COMPATIBILITY_LEVELS)}")
    directions = _DIRECTIONS[level.removesuffix("_TRANSITIVE")]
    found = []
    for change in changes:
        for direction in directions:
            reason = rules.why_breaking(change, direction)
            if reason:
                label = level if len(directions) == 1 else f"{level} ({direction.lower()})"
                found.append(Breaking(change, f"{label}: {reason}"))
    return found


def _format(schema_type: str) -> ModuleType:
    module = _FORMATS.get(schema_type.upper()) if isinstance(schema_type, str) else None
    if module is None:
        raise ValueError(f"unknown schema type {schema_type!r}: expected one of {', '.join(SCHEMA_TYPES)}")
    return module
