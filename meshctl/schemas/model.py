"""Values shared by every schema format: the parse error, a field-level change and a compatibility break."""

from __future__ import annotations

from dataclasses import dataclass

# Every FieldChange.kind. `before`/`after` are short descriptions of the field (type, then " (default X)"
# when it has one); the kinds below note where they mean something else.
CHANGE_KINDS = (
    "added",  # before None
    "removed",  # after None, or "number N reserved" (Protobuf)
    "type_changed",  # before/after are bare types, no default: "int", "[null, string]", "array<Item>"
    "default_added",
    "default_removed",
    "default_changed",
    "required_added",  # JSON Schema "required", Protobuf proto2 `required`
    "required_removed",
    "renamed_alias",  # Avro: a new field whose alias names an old one; before/after "name: description"
    "renamed",  # Protobuf: same number, new name; before/after "name = N"
    "symbol_added",  # enum; after the symbol; before what old readers read it as (enum default) or None
    "symbol_removed",  # enum; before the symbol; after what new readers read it as (enum default) or None
    "number_changed",  # Protobuf field or enum value number; before/after the numbers
)


class SchemaError(Exception):
    """A schema that does not parse or is not valid for its type.

    `line` is 1-based within the schema text when known, else None.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = message
        self.line = line


@dataclass(frozen=True)
class FieldChange:
    """One field-level difference between two versions of a schema (see CHANGE_KINDS)."""

    kind: str
    path: str  # dotted from the root record/message, "" for the root itself; enum symbols end in ".SYMBOL"
    before: str | None
    after: str | None

    def describe(self) -> str:
        """One line for a human, e.g. 'field customer.address.zip added: string (default "")'."""
        subject = f"field {self.path}" if self.path else "root"
        before, after = self.before, self.after
        match self.kind:
            case "added":
                return f"{subject} added: {after}"
            case "removed":
                return f"{subject} removed (was {before})" + (f", {after}" if after else "")
            case "required_added":
                return f"{subject} is now required"
            case "required_removed":
                return f"{subject} is no longer required"
            case "renamed_alias":
                return f"{subject} renamed through an alias: {before} -> {after}"
            case "symbol_added":
                return f"enum symbol {self.path} added" + (f" (old readers read it as {before})" if before else "")
            case "symbol_removed":
                return f"enum symbol {self.path} removed" + (f" (new readers read it as {after})" if after else "")
            case _:
                return f"{subject} {self.kind.replace('_', ' ')}: {before} -> {after}"


@dataclass(frozen=True)
class Breaking:
    """A change that breaks the subject's compatibility level, with the rule it breaks."""

    change: FieldChange
    rule: str  # "<LEVEL>: <why, in one sentence>", e.g. "BACKWARD: a new reader cannot fill field zip ..."
    version: int | None = None  # the registered version it breaks against, when judged against several


def join_path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def symbol_parts(change: FieldChange) -> tuple[str, str]:
    """(enum path, symbol) of a symbol change; the symbol may itself contain dots (JSON enum values)."""
    symbol = (change.after if change.kind == "symbol_added" else change.before) or ""
    if change.path.endswith(symbol) and len(change.path) > len(symbol):
        return change.path[: -len(symbol) - 1], symbol
    enum_path, _, last = change.path.rpartition(".")
    return enum_path, last
