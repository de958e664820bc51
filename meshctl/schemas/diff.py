"""Schema registry schemas: validate, compare with the registry's copy, diff versions, judge compatibility.

Pure functions over schema text, one per question, dispatching on the registry's schemaType:

- `check_schema` raises SchemaError (with a line when known) for a schema the registry would reject;
- `canonical` gives a text that ignores whitespace and JSON key order (Protobuf: comments and whitespace),
  to compare a local file with what the registry returns;
- `diff_schemas` lists field-level changes (FieldChange, kinds in `model.CHANGE_KINDS`);
- `breaking_changes` keeps the changes that break a compatibility level, with the rule each one breaks;
- `incompatible_changes` judges a new version against the registered ones as the registry does: against
  the latest, or against every earlier version for the *_TRANSITIVE levels.

Compatibility has two directions: BACKWARD (a reader with the new schema reads data written with the old
one) and FORWARD (a reader with the old schema reads data written with the new one). FULL checks both; NONE
never breaks. Each change is judged by its format's rules, which say why it breaks; for Avro the `avro`
library's checker gives the verdict of each direction and the rules explain it. The per-format rules (and
their simplifications) are in avro.py, jsonschema.py and protobuf.py.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

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
    "incompatible_changes",
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
# A format's module is imported when a schema of that format is first read: the avro and
# jsonschema libraries take ~0.1 s to import, which a mesh without schemas never needs.
_FORMATS = {
    "AVRO": "meshctl.schemas.avro",
    "JSON": "meshctl.schemas.jsonschema",
    "PROTOBUF": "meshctl.schemas.protobuf",
}
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
    return [b for _, b in _explain(_format(schema_type), changes, _level(compatibility))]


def incompatible_changes(schema_type: str, earlier: Mapping[int, str], new: str, compatibility: str) -> list[Breaking]:
    """Why `new` may not follow the registered `earlier` versions (version number -> text) under `compatibility`.

    Judged as the registry does (Confluent's test_compatibility_all_versions): against the latest version,
    or against every earlier one, newest first, for the *_TRANSITIVE levels, whose rules then name the
    version ("BACKWARD_TRANSITIVE (against version 1): ..."). [] when `new` is compatible. For Avro the `avro`
    library decides each direction: a change the rules flag in a direction the library finds readable is
    dropped, and a direction the library rejects that no rule explains gets the library's own reason.
    """
    level = _level(compatibility)
    rules = _format(schema_type)
    versions = sorted(earlier)
    transitive = level.endswith("_TRANSITIVE")
    found = []
    for version in reversed(versions if transitive else versions[-1:]):
        old = earlier[version]
        explained = _explain(rules, diff_schemas(schema_type, old, new), level, version if transitive else None)
        if schema_type.upper() == "AVRO":
            explained = _avro_verdicts(explained, old, new, level, version if transitive else None)
        found += [b for _, b in explained]
    return found


def _level(compatibility: str) -> str:
    level = compatibility.upper()
    if level not in COMPATIBILITY_LEVELS:
        raise ValueError(f"unknown compatibility {compatibility!r}: expected one of {', '.join(COMPATIBILITY_LEVELS)}")
    return level


def _label(level: str, direction: str, version: int | None) -> str:
    notes = [direction.lower()] if level.startswith("FULL") else []
    notes += [] if version is None else [f"against version {version}"]
    return f"{level} ({', '.join(notes)})" if notes else level


def _explain(
    rules: ModuleType, changes: list[FieldChange], level: str, version: int | None = None
) -> list[tuple[str, Breaking]]:
    """(direction, Breaking) for each change and direction of `level` that the format's rules say it breaks."""
    found = []
    for change in changes:
        for direction in _DIRECTIONS[level.removesuffix("_TRANSITIVE")]:
            reason = rules.why_breaking(change, direction, changes)
            if reason:
                found.append((direction, Breaking(change, f"{_label(level, direction, version)}: {reason}", version)))
    return found


def _avro_verdicts(
    explained: list[tuple[str, Breaking]], old: str, new: str, level: str, version: int | None
) -> list[tuple[str, Breaking]]:
    """Keep the explanations of the directions the `avro` library rejects; give its reason where none explains."""
    from meshctl.schemas import avro  # imported with the first Avro schema read (see _FORMATS)

    verdicts = {
        direction: avro.unreadable(*((new, old) if direction == "BACKWARD" else (old, new)))
        for direction in _DIRECTIONS[level.removesuffix("_TRANSITIVE")]
    }
    kept = [(direction, b) for direction, b in explained if verdicts[direction] is not None]
    for direction, reason in verdicts.items():
        if reason is not None and all(d != direction for d, _ in kept):
            readers, data = ("new readers", "old data") if direction == "BACKWARD" else ("old readers", "new data")
            root = FieldChange("type_changed", "", avro.describe_root(old), avro.describe_root(new))
            rule = f"{_label(level, direction, version)}: {readers} cannot read {data}, says the Avro library: {reason}"
            kept.append((direction, Breaking(root, rule, version)))
    return kept


def _format(schema_type: str) -> ModuleType:
    module = _FORMATS.get(schema_type.upper()) if isinstance(schema_type, str) else None
    if module is None:
        raise ValueError(f"unknown schema type {schema_type!r}: expected one of {', '.join(SCHEMA_TYPES)}")
    return importlib.import_module(module)
