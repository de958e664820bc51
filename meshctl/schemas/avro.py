"""Avro: validate a schema, diff two versions field by field and judge the changes.

Verdicts follow Avro schema resolution (the rules the Confluent registry applies): a reader fills a field
missing from the writer's data from its default, ignores extra writer fields, matches named types by their
unqualified name, reads a union branch-by-branch, and promotes only the types in PROMOTIONS.

Two sources, one verdict: the Apache `avro` library's reader/writer compatibility checker (a port of the
Java checker the registry runs) says whether a reader can read a writer's data (`unreadable`); the rules
below say why, change by change (`why_breaking`), which the library's messages ("reader type: int not
compatible with writer type: long" at "/fields/0/type") do not. Validation is this module's parser, which
points at lines and checks defaults; the library parses what it accepts, so a schema is also one the
library can judge.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import avro.errors
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from meshctl.schemas import jsontext
from meshctl.schemas.jsontext import JsonDoc, JsonPath, dumps, kind_of
from meshctl.schemas.model import FieldChange, SchemaError, join_path, symbol_parts

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
COMPLEX = frozenset({"record", "error", "enum", "array", "map", "fixed"})
# Writer type -> the reader types that can read it.
PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
PROMOTION_RULES = "int->long/float/double, long->float/double, float->double and string<->bytes"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FULLNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_ORDERS = ("ascending", "descending", "ignore")


# --- the parsed schema: a graph (a record may refer to itself), so nodes compare by identity ---------------


@dataclass(frozen=True, eq=False)
class Primitive:
    name: str
    logical: str | None = None  # "date", "decimal 10,2": part of the description only


@dataclass(frozen=True, eq=False)
class Array:
    items: AvroType


@dataclass(frozen=True, eq=False)
class Map:
    values: AvroType


@dataclass(frozen=True, eq=False)
class Union:
    branches: tuple[AvroType, ...]


@dataclass(frozen=True, eq=False)
class Fixed:
    fullname: str
    size: int
    aliases: tuple[str, ...] = ()  # full names: a reader's named type also reads data written under these


@dataclass(frozen=True, eq=False)
class Enum:
    fullname: str
    symbols: tuple[str, ...]
    default: str | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Field:
    name: str
    type: AvroType
    has_default: bool
    default: Any
    aliases: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Record:
    fullname: str
    fields: list[Field]  # filled after the record is registered, so its fields can refer to it
    aliases: tuple[str, ...] = ()


AvroType = Primitive | Array | Map | Union | Fixed | Enum | Record
Named = Fixed | Enum | Record


def short_name(fullname: str) -> str:
    return fullname.rpartition(".")[2]


def describe_type(t: AvroType) -> str:
    """A one-line type: "int", "int (date)", "[null, Address]", "array<string>", "MD5 (fixed 16)".

    Named types are given by their unqualified name (what resolution matches on), with their aliases
    ("Place (aka Address)"), and never expanded, so this terminates on recursive schemas. `_readable` parses
    these strings back.
    """
    if isinstance(t, Primitive):
        return t.name if t.logical is None else f"{t.name} ({t.logical})"
    if isinstance(t, Array):
        return f"array<{describe_type(t.items)}>"
    if isinstance(t, Map):
        return f"map<{describe_type(t.values)}>"
    if isinstance(t, Union):
        return "[" + ", ".join(describe_type(b) for b in t.branches) + "]"
    notes = [f"fixed {t.size}"] if isinstance(t, Fixed) else []
    notes += ["aka " + ", ".join(short_name(alias) for alias in t.aliases)] if t.aliases else []
    return short_name(t.fullname) + (f" ({', '.join(notes)})" if notes else "")


def describe_root(text: str) -> str:
    return describe_type(parse(text))


def describe_field(f: Field) -> str:
    return describe_type(f.type) + (f" (default {dumps(f.default)})" if f.has_default else "")


# --- parsing and validation -----------------------------------------------------------------------------------


def parse(text: str) -> AvroType:
    """The schema graph; SchemaError when the text is not a valid Avro schema."""
    return _Parser(jsontext.load(text)).parse()


def check(text: str) -> None:
    parse(text)
    _library_schema(text)


def _library_schema(text: str) -> avro.schema.Schema:
    """The `avro` library's parse of a text this module's parser has accepted."""
    try:
        with warnings.catch_warnings():  # an unknown or ill-formed logicalType is ignored, as the spec says
            warnings.simplefilter("ignore", avro.errors.IgnoredLogicalType)
            return avro.schema.make_avsc_object(_qualified_aliases(jsontext.parse(text), ""))
    except (avro.errors.AvroException, avro.errors.AvroWarning) as exc:
        raise SchemaError(f"not a schema the Avro library accepts: {exc}") from None


def _qualified_aliases(node: Any, space: str) -> Any:
    """The schema with named types' aliases in full: the library compares them as written, but the spec
    reads an unqualified alias in the namespace of the type it names (as the Java checker does)."""
    if isinstance(node, list):
        return [_qualified_aliases(branch, space) for branch in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if node.get("type") in ("record", "error", "enum", "fixed") and isinstance(node.get("name"), str):
        name = node["name"]
        space = name.rpartition(".")[0] if "." in name else node.get("namespace") or space
        if isinstance(node.get("aliases"), list):
            node["aliases"] = [_qualify(alias, space) for alias in node["aliases"]]
    if isinstance(node.get("fields"), list):
        node["fields"] = [{**f, "type": _qualified_aliases(f.get("type"), space)} for f in node["fields"]]
    for key in ("type", "items", "values"):
        if key in node and not isinstance(node[key], str):
            node[key] = _qualified_aliases(node[key], space)
    return node


def canonical(text: str) -> str:
    return jsontext.canonical(text)


class _Parser:
    def __init__(self, doc: JsonDoc) -> None:
        self.doc = doc
        self.named: dict[str, Named] = {}
        # Defaults are checked once every type is complete: a default may hold a record still being parsed.
        self.defaults: list[tuple[Field, str, JsonPath]] = []

    def fail(self, message: str, path: JsonPath) -> SchemaError:
        return self.doc.error(message, path)

    def parse(self) -> AvroType:
        root = self.type(self.doc.value, (), "")
        for f, record, path in self.defaults:
            if not _default_ok(f.type, f.default):
                hint = " (a union's default must match its first branch)" if isinstance(f.type, Union) else ""
                raise self.fail(
                    f'default {dumps(f.default)} of field "{f.name}" in record {record} '
                    f"does not match its type {describe_type(f.type)}{hint}",
                    path,
                )
        return root

    def type(self, node: Any, path: JsonPath, space: str) -> AvroType:
        if isinstance(node, str):
            return self.reference(node, path, space)
        if isinstance(node, list):
            return self.union(node, path, space)
        if isinstance(node, dict):
            return self.complex(node, path, space)
        raise self.fail(f"expected a type name, a union (list) or a type object, found {kind_of(node)}", path)

    def reference(self, name: str, path: JsonPath, space: str) -> AvroType:
        if name in PRIMITIVES:
            return Primitive(name)
        for candidate in (_qualify(name, space), name):
            if candidate in self.named:
                return self.named[candidate]
        if name in COMPLEX:
            raise self.fail(f'"{name}" must be written as a type object: {{"type": "{name}", ...}}', path)
        known = sorted(PRIMITIVES) + [short_name(n) for n in self.named] + list(self.named)
        close = difflib.get_close_matches(name, known, n=1)
        raise self.fail(f'unknown type "{name}"' + (f' (did you mean "{close[0]}"?)' if close else ""), path)

    def complex(self, node: dict[str, Any], path: JsonPath, space: str) -> AvroType:
        if "type" not in node:
            raise self.fail('a type object needs a "type"', path)
        kind = node["type"]
        if not isinstance(kind, str):
            raise self.fail(f'the "type" of a type object must be a type name, found {kind_of(kind)}', (*path, "type"))
        if kind in PRIMITIVES:
            return Primitive(kind, _logical(node))
        if kind in ("record", "error"):
            return self.record(node, path, space)
        if kind == "enum":
            return self.enum(node, path, space)
        if kind == "fixed":
            return self.fixed(node, path, space)
        if kind in ("array", "map"):
            key = "items" if kind == "array" else "values"
            if key not in node:
                raise self.fail(f'{"an" if kind == "array" else "a"} {kind} needs "{key}"', path)
            inner = self.type(node[key], (*path, key), space)
            return Array(inner) if kind == "array" else Map(inner)
        return self.reference(kind, (*path, "type"), space)

    def define(self, node: dict[str, Any], path: JsonPath, space: str, kind: str) -> tuple[str, tuple[str, ...]]:
        """Validate the name and aliases of a named type; its full name and its aliases' full names."""
        name = node.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(f'a {kind} needs a "name"', (*path, "name"))
        namespace = node.get("namespace", space)
        if namespace is None:  # JSON null: the null namespace
            namespace = ""
        if not isinstance(namespace, str):
            raise self.fail('"namespace" must be a string', (*path, "namespace"))
        fullname = name if "." in name else _qualify(name, namespace)
        if not all(_NAME.match(part) for part in fullname.split(".")):
            raise self.fail(f'"{fullname}" is not a valid {kind} name', (*path, "name"))
        if short_name(fullname) in PRIMITIVES:
            raise self.fail(f'a {kind} cannot be named "{short_name(fullname)}", a primitive type', (*path, "name"))
        if fullname in self.named:
            raise self.fail(f'type "{fullname}" is defined twice', (*path, "name"))
        aliases = node.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and _FULLNAME.match(a) for a in aliases):
            raise self.fail(f'"aliases" of {kind} {fullname} must be a list of names', (*path, "aliases"))
        return fullname, tuple(_qualify(alias, fullname.rpartition(".")[0]) for alias in aliases)

    def record(self, node: dict[str, Any], path: JsonPath, space: str) -> Record:
        fullname, aliases = self.define(node, path, space, "record")
        fields = node.get("fields")
        if not isinstance(fields, list):
            raise self.fail(f'record {fullname} needs a "fields" list', (*path, "fields"))
        record = Record(fullname, [], aliases)
        self.named[fullname] = record
        names: set[str] = set()
        for index, field in enumerate(fields):
            record.fields.append(self.field(field, (*path, "fields", index), fullname, names))
        return record

    def field(self, node: Any, path: JsonPath, record: str, names: set[str]) -> Field:
        if not isinstance(node, dict):
            raise self.fail(f"each field of record {record} must be an object, found {kind_of(node)}", path)
        name = node.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            what = "needs a name" if name is None else f"has an invalid name {dumps(name)}"
            raise self.fail(f"a field of record {record} {what}", (*path, "name"))
        if name in names:
            raise self.fail(f'record {record} has two fields named "{name}"', (*path, "name"))
        names.add(name)
        if "type" not in node:
            raise self.fail(f'field "{name}" of record {record} needs a "type"', path)
        field_type = self.type(node["type"], (*path, "type"), record.rpartition(".")[0])
        if node.get("order", "ascending") not in _ORDERS:
            raise self.fail(f'"order" of field "{name}" must be one of {", ".join(_ORDERS)}', (*path, "order"))
        aliases = node.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail(f'"aliases" of field "{name}" must be a list of names', (*path, "aliases"))
        field = Field(name, field_type, "default" in node, node.get("default"), tuple(aliases))
        if field.has_default:
            self.defaults.append((field, record, (*path, "default")))
        return field

    def enum(self, node: dict[str, Any], path: JsonPath, space: str) -> Enum:
        fullname, aliases = self.define(node, path, space, "enum")
        symbols = node.get("symbols")
        if not isinstance(symbols, list) or not symbols:
            raise self.fail(f'enum {fullname} needs a non-empty "symbols" list', (*path, "symbols"))
        for index, symbol in enumerate(symbols):
            if not isinstance(symbol, str) or not _NAME.match(symbol):
                raise self.fail(f"enum {fullname}: {dumps(symbol)} is not a valid symbol", (*path, "symbols", index))
            if symbol in symbols[:index]:
                raise self.fail(f"enum {fullname} lists {symbol} twice", (*path, "symbols", index))
        default = node.get("default")
        if "default" in node and default not in symbols:
            raise self.fail(
                f"default {dumps(default)} of enum {fullname} is not one of its symbols", (*path, "default")
            )
        enum = Enum(fullname, tuple(symbols), default, aliases)
        self.named[fullname] = enum
        return enum

    def fixed(self, node: dict[str, Any], path: JsonPath, space: str) -> Fixed:
        fullname, aliases = self.define(node, path, space, "fixed")
        size = node.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise self.fail(f'fixed {fullname} needs a "size" that is a positive integer', (*path, "size"))
        fixed = Fixed(fullname, size, aliases)
        self.named[fullname] = fixed
        return fixed

    def union(self, node: list[Any], path: JsonPath, space: str) -> Union:
        if not node:
            raise self.fail("a union needs at least one branch", path)
        branches: list[AvroType] = []
        keys: set[str] = set()
        for index, branch in enumerate(node):
            branch_type = self.type(branch, (*path, index), space)
            if isinstance(branch_type, Union):
                raise self.fail("a union cannot contain another union directly", (*path, index))
            key = _union_key(branch_type)
            if key in keys:
                raise self.fail(f"a union cannot contain {key} twice", (*path, index))
            keys.add(key)
            branches.append(branch_type)
        return Union(tuple(branches))


def _qualify(name: str, space: str) -> str:
    return name if "." in name or not space else f"{space}.{name}"


def _logical(node: dict[str, Any]) -> str | None:
    logical = node.get("logicalType")
    if not isinstance(logical, str):
        return None
    if logical == "decimal":
        return f"decimal {node.get('precision')},{node.get('scale', 0)}"
    return logical


def _union_key(t: AvroType) -> str:
    """What makes two union branches the same: the primitive, "array"/"map", or the named type."""
    if isinstance(t, Primitive):
        return t.name
    if isinstance(t, Array | Map):
        return "an array" if isinstance(t, Array) else "a map"
    return "a union" if isinstance(t, Union) else t.fullname


def _int_in(bits: int) -> Any:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


_PRIMITIVE_DEFAULTS = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "int": _int_in(32),
    "long": _int_in(64),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bytes": lambda v: isinstance(v, str) and all(ord(c) < 256 for c in v),  # JSON encodes bytes as code points
    "string": lambda v: isinstance(v, str),
}


def _default_ok(t: AvroType, value: Any) -> bool:
    if isinstance(t, Primitive):
        return _PRIMITIVE_DEFAULTS[t.name](value)
    if isinstance(t, Enum):
        return value in t.symbols
    if isinstance(t, Fixed):
        return isinstance(value, str) and len(value) == t.size
    if isinstance(t, Array):
        return isinstance(value, list) and all(_default_ok(t.items, v) for v in value)
    if isinstance(t, Map):
        return isinstance(value, dict) and all(_default_ok(t.values, v) for v in value.values())
    if isinstance(t, Union):
        return _default_ok(t.branches[0], value)
    return isinstance(value, dict) and all(
        _default_ok(f.type, value[f.name]) if f.name in value else f.has_default for f in t.fields
    )


# --- diff ------------------------------------------------------------------------------------------------------


def diff(old_text: str, new_text: str) -> list[FieldChange]:
    differ = _Differ()
    differ.slot(parse(old_text), parse(new_text), "")
    return differ.changes


class _Differ:
    def __init__(self) -> None:
        self.changes: list[FieldChange] = []
        self.seen: set[tuple[int, int]] = set()  # (old, new) named types already walked: recursion-safe

    def add(self, kind: str, path: str, before: str | None, after: str | None) -> None:
        self.changes.append(FieldChange(kind, path, before, after))

    def slot(self, old: AvroType, new: AvroType, path: str) -> None:
        """Compare what sits at `path` (the root, or a field's type), then walk the named types inside."""
        before, after = describe_type(old), describe_type(new)
        if before != after:
            self.add("type_changed", path, before, after)
        self.walk(old, new, path)

    def walk(self, old: AvroType, new: AvroType, path: str) -> None:
        for old_named, new_named in _pair_named(_named_in(old), _named_in(new)):
            key = (id(old_named), id(new_named))
            if key in self.seen:
                continue
            self.seen.add(key)
            if isinstance(old_named, Record) and isinstance(new_named, Record):
                self.fields(old_named, new_named, path)
            elif isinstance(old_named, Enum) and isinstance(new_named, Enum):
                self.symbols(old_named, new_named, path)

    def fields(self, old: Record, new: Record, prefix: str) -> None:
        old_by_name = {f.name: f for f in old.fields}
        new_names = {f.name for f in new.fields}
        matched: set[str] = set()
        for new_field in new.fields:
            path = join_path(prefix, new_field.name)
            old_field = old_by_name.get(new_field.name) or self.aliased(new_field, old_by_name, new_names, matched)
            if old_field is None:
                self.add("added", path, None, describe_field(new_field))
                continue
            matched.add(old_field.name)
            if old_field.name != new_field.name:
                self.add(
                    "renamed_alias",
                    path,
                    f"{old_field.name}: {describe_field(old_field)}",
                    f"{new_field.name}: {describe_field(new_field)}",
                )
            self.field(old_field, new_field, path)
        for old_field in old.fields:
            if old_field.name not in matched:
                self.add("removed", join_path(prefix, old_field.name), describe_field(old_field), None)

    @staticmethod
    def aliased(new: Field, old_by_name: dict[str, Field], new_names: set[str], matched: set[str]) -> Field | None:
        """The old field a new field renames: one its aliases name, that is gone from the new record."""
        for alias in new.aliases:
            if alias in old_by_name and alias not in new_names and alias not in matched:
                return old_by_name[alias]
        return None

    def field(self, old: Field, new: Field, path: str) -> None:
        before, after = describe_type(old.type), describe_type(new.type)
        if before != after:
            self.add("type_changed", path, before, after)
        if old.has_default != new.has_default or (old.has_default and dumps(old.default) != dumps(new.default)):
            kind = "default_added" if not old.has_default else "default_removed" if not new.has_default else ""
            self.add(kind or "default_changed", path, describe_field(old), describe_field(new))
        self.walk(old.type, new.type, path)

    def symbols(self, old: Enum, new: Enum, prefix: str) -> None:
        for symbol in new.symbols:
            if symbol not in old.symbols:
                self.add("symbol_added", join_path(prefix, symbol), old.default, symbol)
        for symbol in old.symbols:
            if symbol not in new.symbols:
                self.add("symbol_removed", join_path(prefix, symbol), symbol, new.default)
        if old.default != new.default:
            kind = "default_added" if old.default is None else "default_removed" if new.default is None else ""
            self.add(kind or "default_changed", prefix, _describe_enum(old), _describe_enum(new))


def _describe_enum(enum: Enum) -> str:
    name = f"enum {short_name(enum.fullname)}"
    return name if enum.default is None else f"{name} (default {enum.default})"


def _named_in(t: AvroType) -> list[Record | Enum]:
    """The records and enums a type holds directly or through unions, arrays and maps."""
    if isinstance(t, Record | Enum):
        return [t]
    if isinstance(t, Array):
        return _named_in(t.items)
    if isinstance(t, Map):
        return _named_in(t.values)
    if isinstance(t, Union):
        return [named for branch in t.branches for named in _named_in(branch)]
    return []


def _pair_named(old: list[Record | Enum], new: list[Record | Enum]) -> list[tuple[Record | Enum, Record | Enum]]:
    """Pair old and new named types by unqualified name; a lone leftover of each kind is a renamed type."""
    pairs = []
    unpaired_new = list(new)
    unpaired_old = []
    for old_named in old:
        match = next(
            (n for n in unpaired_new if type(n) is type(old_named) and _same_name(n, old_named)),
            None,
        )
        if match is None:
            unpaired_old.append(old_named)
        else:
            unpaired_new.remove(match)
            pairs.append((old_named, match))
    for kind in (Record, Enum):
        old_left = [o for o in unpaired_old if isinstance(o, kind)]
        new_left = [n for n in unpaired_new if isinstance(n, kind)]
        if len(old_left) == len(new_left) == 1:
            pairs.append((old_left[0], new_left[0]))
    return pairs


def _same_name(a: Named, b: Named) -> bool:
    return short_name(a.fullname) == short_name(b.fullname)


# --- compatibility -------------------------------------------------------------------------------------------


def unreadable(reader_text: str, writer_text: str) -> str | None:
    """The `avro` library's verdict: why a reader of `reader_text` cannot read data written with
    `writer_text` ("type_mismatch at /fields/0/type (reader type: int not compatible with writer type:
    long)"), or None when it can."""
    result = ReaderWriterCompatibilityChecker().get_compatibility(
        _library_schema(reader_text), _library_schema(writer_text)
    )
    if result.compatibility is not SchemaCompatibilityType.incompatible:
        return None
    kinds = ", ".join(sorted({kind.value.replace("_", " ") for kind in result.incompatibilities}))
    where = ", ".join(sorted(location for location in result.locations if location != "/")) or "/"
    return f"{kinds} at {where} ({'; '.join(sorted(result.messages))})"


def why_breaking(change: FieldChange, direction: str, changes: Sequence[FieldChange] = ()) -> str | None:
    """Why `change` breaks `direction` ("BACKWARD": new reads old; "FORWARD": old reads new), or None.

    `changes` is the whole diff: an old reader does not know a new field's aliases, so under FORWARD a field
    renamed through an alias is missing and extra rather than changed; what changed inside it does not count.
    """
    backward = direction == "BACKWARD"
    path = change.path
    if not backward and _inside_alias_rename(change, changes):
        return None
    match change.kind:
        case "added" if backward and not _has_default(change.after):
            return f"a new reader cannot fill field {path} when reading old data: give it a default"
        case "removed" if not backward and not _has_default(change.before):
            return (
                f"an old reader cannot fill field {path} when reading new data, which lacks it, "
                "and the old schema gives it no default: add a default before removing the field"
            )
        case "renamed_alias" if not backward and not _has_default(change.before):
            old_name = (change.before or "").partition(":")[0]
            return (
                f"old readers do not know the alias, so they find no field {old_name} in new data "
                "and the old schema gives it no default"
            )
        case "type_changed":
            return _type_break(change, backward)
        case "symbol_removed" if backward and change.after is None:
            enum_path, symbol = symbol_parts(change)
            return (
                f"old data may hold {symbol} in {enum_path or 'the root enum'}, "
                "which the new enum lacks and has no default to fall back on"
            )
        case "symbol_added" if not backward and change.before is None:
            enum_path, symbol = symbol_parts(change)
            return (
                f"new data may hold {symbol} in {enum_path or 'the root enum'}, "
                "which old readers' enum lacks and has no default to fall back on"
            )
    return None


def _inside_alias_rename(change: FieldChange, changes: Sequence[FieldChange]) -> bool:
    """Whether `change` is about a field renamed through an alias (not the rename itself), or inside one."""
    return any(
        c.kind == "renamed_alias" and c is not change and (change.path + ".").startswith(c.path + ".") for c in changes
    )


def _has_default(description: str | None) -> bool:
    return description is not None and " (default " in description


def _type_break(change: FieldChange, backward: bool) -> str | None:
    if change.before is None or change.after is None:
        return None
    writer, reader = (change.before, change.after) if backward else (change.after, change.before)
    unreadable = [branch for branch in _branches(writer) or [writer] if not _readable(branch, reader)]
    if not unreadable:
        return None
    where = f"field {change.path}" if change.path else "the root"
    data, readers = ("old data", "the new type") if backward else ("new data", "old readers' type")
    return (
        f"{data} may hold {' or '.join(unreadable)} in {where}, which {readers} {reader} cannot read "
        f"(Avro promotes only {PROMOTION_RULES})"
    )


def _readable(writer: str, reader: str) -> bool:
    """Whether data of type `writer` resolves against `reader`; both are describe_type() strings."""
    writer_branches, reader_branches = _branches(writer), _branches(reader)
    if writer_branches is not None:
        return all(_readable(branch, reader) for branch in writer_branches)
    if reader_branches is not None:
        return any(_readable(writer, branch) for branch in reader_branches)
    for wrapper in ("array<", "map<"):
        if writer.startswith(wrapper) and reader.startswith(wrapper):
            return _readable(writer[len(wrapper) : -1], reader[len(wrapper) : -1])
    if writer == reader:
        return True
    # Logical types ("int (date)") resolve as their underlying type; a fixed's "(fixed N)" is not primitive.
    writer_base, reader_base = writer.partition(" (")[0], reader.partition(" (")[0]
    if writer_base in PRIMITIVES and reader_base in PRIMITIVES:
        return writer_base == reader_base or reader_base in PROMOTIONS.get(writer_base, frozenset())
    if writer_base in PRIMITIVES or reader_base in PRIMITIVES or "<" in writer_base + reader_base:
        return False
    # Named types: the reader's name or one of its aliases is the writer's name; fixed sizes agree.
    sizes = [re.search(r"\(fixed (\d+)", description) for description in (writer, reader)]
    if [size and size.group(1) for size in sizes][0] != [size and size.group(1) for size in sizes][1]:
        return False
    notes = reader.partition(" (")[2].removesuffix(")")
    aliases = notes.partition("aka ")[2].split(", ") if "aka " in notes else []
    return writer_base == reader_base or writer_base in aliases


def _branches(description: str) -> list[str] | None:
    """The branches of a union description, split at top-level commas; None when it is not a union."""
    if not description.startswith("["):
        return None
    branches, depth, start = [], 0, 1
    for index, char in enumerate(description[1:-1], start=1):
        if char in "[<(":
            depth += 1
        elif char in "]>)":
            depth -= 1
        elif char == "," and depth == 0:
            branches.append(description[start:index].strip())
            start = index + 1
    branches.append(description[start:-1].strip())
    return branches
