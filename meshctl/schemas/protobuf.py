"""Protobuf: parse a .proto file, diff two versions field by field and judge the changes.

The parser covers what registry schemas use: syntax/edition, package, import, option, messages with nested
messages and enums, scalar/message/enum/map fields, labels, field options, reserved, extensions, oneof,
extend and service blocks (the last two are parsed and ignored). Groups are rejected. The schema's root is its
first top-level message, as in the Confluent serializers. Fields are matched by name, then by number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from meshctl.schemas.model import FieldChange, SchemaError, join_path

SCALARS = frozenset(
    {
        "double",
        "float",
        "int32",
        "int64",
        "uint32",
        "uint64",
        "sint32",
        "sint64",
        "fixed32",
        "fixed64",
        "sfixed32",
        "sfixed64",
        "bool",
        "string",
        "bytes",
    }
)
MAP_KEYS = SCALARS - {"double", "float", "bytes"}
LABELS = ("optional", "required", "repeated")
MAX_FIELD_NUMBER = 2**29 - 1
IMPLEMENTATION_RESERVED = range(19000, 20000)  # numbers protobuf keeps for itself

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<newline>\n)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>0[xX][0-9A-Fa-f]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<ident>\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<symbol>[=;{}\[\]()<>,:+\-])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "number", "ident", "symbol" or "eof"
    text: str
    line: int


def tokenize(text: str) -> list[Token]:
    """Tokens without whitespace and comments, ending with an "eof" token."""
    tokens, pos, line = [], 0, 1
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SchemaError(_bad_character(text, pos), line)
        kind = match.lastgroup or ""
        if kind in ("string", "number", "ident", "symbol"):
            tokens.append(Token(kind, match.group(), line))
        line += match.group().count("\n")
        pos = match.end()
    tokens.append(Token("eof", "end of file", line))
    return tokens


def _bad_character(text: str, pos: int) -> str:
    if text.startswith("/*", pos):
        return "unterminated comment"
    if text[pos] in "\"'":
        return "unterminated string"
    return f"unexpected character {text[pos]!r}"


# --- the parsed file -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtoField:
    name: str
    label: str  # "", "optional", "required" or "repeated"
    type: str  # as written; the value type of a map
    number: int
    line: int
    key_type: str | None = None  # map<key_type, type>
    default: str | None = None  # proto2 [default = ...]
    oneof: str | None = None


@dataclass(frozen=True, eq=False)
class ProtoMessage:
    full_name: str
    line: int
    fields: list[ProtoField] = field(default_factory=list)
    reserved_numbers: list[tuple[int, int]] = field(default_factory=list)
    reserved_names: set[str] = field(default_factory=set)

    def is_reserved(self, number: int) -> bool:
        return any(low <= number <= high for low, high in self.reserved_numbers)


@dataclass(frozen=True, eq=False)
class ProtoEnum:
    full_name: str
    line: int
    values: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (number, line)


@dataclass(frozen=True)
class ProtoFile:
    syntax: str  # "proto2", "proto3" or "editions"
    package: str
    imports: tuple[str, ...]
    messages: tuple[ProtoMessage, ...]  # top level, in order
    types: dict[str, ProtoMessage | ProtoEnum]  # every message and enum by full name

    @property
    def root(self) -> ProtoMessage | None:
        return self.messages[0] if self.messages else None

    def resolve(self, name: str, scope: str) -> str | None:
        """The full name `name` refers to from within `scope`, searching outward like protoc; None if unknown."""
        if name.startswith("."):
            return name[1:] if name[1:] in self.types else None
        parts = scope.split(".") if scope else []
        while True:
            candidate = ".".join([*parts, name])
            if candidate in self.types:
                return candidate
            if not parts:
                return None
            parts.pop()


def parse(text: str) -> ProtoFile:
    """The parsed file; SchemaError (with the line) when it does not parse or is not valid."""
    return _Parser(tokenize(text)).file()


def check(text: str) -> None:
    parse(text)


def canonical(text: str) -> str:
    """The tokens without comments, one statement a line, indented by block."""
    lines: list[str] = []
    words: list[str] = []
    depth = 0

    def flush() -> None:
        if words:
            lines.append("  " * depth + _join(words))
            words.clear()

    for token in tokenize(text)[:-1]:
        if token.kind == "symbol" and token.text == "}":
            flush()
            depth = max(depth - 1, 0)
            words.append("}")
            flush()
            continue
        words.append(token.text)
        if token.kind == "symbol" and token.text in ("{", ";"):
            flush()
            if token.text == "{":
                depth += 1
    flush()
    return "\n".join(lines) + "\n"


def _join(words: list[str]) -> str:
    text = ""
    for index, word in enumerate(words):
        previous = words[index - 1] if index else ""
        before_previous = words[index - 2] if index > 1 else ""
        tight = (
            word in (";", ",", ")", "]", ">", "<")
            or previous in ("(", "[", "<")
            or (previous == "-" and before_previous in ("=", ",", "[", "(", ":"))
            or (previous == ")" and word.startswith("."))  # option names: (my.ext).field
        )
        text += word if not index or tight else " " + word
    return text


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.syntax = "proto2"  # a file without a syntax statement is proto2
        self.types: dict[str, ProtoMessage | ProtoEnum] = {}
        self.messages: list[ProtoMessage] = []

    # -- token helpers

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.peek()
        self.pos += token.kind != "eof"
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token.kind != "string" and token.text == text

    def accept(self, text: str) -> bool:
        if self.at(text):
            self.next()
            return True
        return False

    def fail(self, message: str, token: Token | None = None) -> SchemaError:
        return SchemaError(message, (token or self.peek()).line)

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise self.fail(f'expected "{text}", found {_show(self.peek())}')
        return self.next()

    def expect_kind(self, kind: str, what: str) -> Token:
        if self.peek().kind != kind:
            raise self.fail(f"expected {what}, found {_show(self.peek())}")
        return self.next()

    def name(self, what: str) -> Token:
        token = self.expect_kind("ident", what)
        if "." in token.text:
            raise self.fail(f'{what} cannot contain ".": {token.text}', token)
        return token

    def integer(self, what: str, signed: bool = False) -> int:
        sign = -1 if signed and self.accept("-") else 1
        token = self.expect_kind("number", what)
        text = token.text.lower()
        if text.startswith("0x"):
            return sign * int(text, 16)
        if not text.isdigit():
            raise self.fail(f"expected {what}, found {token.text}", token)
        if len(text) > 1 and text.startswith("0"):  # octal, as in C
            if not set(text) <= set("01234567"):
                raise self.fail(f"{token.text} is not a valid octal number", token)
            return sign * int(text, 8)
        return sign * int(text)

    def block_end(self, what: str) -> bool:
        """True (and consumed) at the "}" closing `what`; an error at the end of the file."""
        if self.peek().kind == "eof":
            raise self.fail(f'{what} is missing its closing "}}"')
        return self.accept("}")

    # -- statements

    def file(self) -> ProtoFile:
        package, imports, first = "", [], True
        while self.peek().kind != "eof":
            token = self.peek()
            if self.accept(";"):
                continue
            if token.text in ("syntax", "edition"):
                if not first:
                    raise self.fail(f'"{token.text}" must be the first statement of the file', token)
                self.syntax_statement()
            elif token.text == "package":
                if package:
                    raise self.fail("a file can have only one package statement", token)
                self.next()
                package = self.expect_kind("ident", "a package name").text
                self.expect(";")
            elif token.text == "import":
                self.next()
                if self.at("public") or self.at("weak"):
                    self.next()
                imports.append(self.expect_kind("string", "a file name to import").text[1:-1])
                self.expect(";")
            elif token.text == "option":
                self.option_statement()
            elif token.text == "message":
                self.messages.append(self.message(package))
            elif token.text == "enum":
                self.enum(package)
            elif token.text == "service":
                self.service()
            elif token.text == "extend":
                self.extend()
            else:
                raise self.fail(
                    f'expected "message", "enum", "service", "import", "option" or "package", found {_show(token)}'
                )
            first = False
        parsed = ProtoFile(self.syntax, package, tuple(imports), tuple(self.messages), self.types)
        _Validator(parsed).check()
        return parsed

    def syntax_statement(self) -> None:
        keyword = self.next().text
        self.expect("=")
        token = self.expect_kind("string", f"a quoted {keyword}")
        value = token.text[1:-1]
        if keyword == "syntax" and value not in ("proto2", "proto3"):
            raise self.fail(f'syntax must be "proto2" or "proto3", not "{value}"', token)
        self.syntax = value if keyword == "syntax" else "editions"
        self.expect(";")

    def option_statement(self) -> tuple[str, str]:
        self.expect("option")
        name = self.option_name()
        self.expect("=")
        value = self.constant()
        self.expect(";")
        return name, value

    def option_name(self) -> str:
        if self.accept("("):
            name = "(" + self.expect_kind("ident", "an option name").text + ")"
            self.expect(")")
        else:
            name = self.expect_kind("ident", "an option name").text
        while self.peek().kind == "ident" and self.peek().text.startswith("."):
            name += self.next().text
        return name

    def constant(self) -> str:
        token = self.next()
        if token.text in ("-", "+") and token.kind == "symbol":
            value = self.next()
            if value.kind not in ("number", "ident"):
                raise self.fail(f"expected a number after {token.text}, found {_show(value)}", value)
            return token.text + value.text
        if token.kind == "string":
            text = token.text
            while self.peek().kind == "string":  # adjacent literals concatenate
                text += " " + self.next().text
            return text
        if token.kind in ("number", "ident"):
            return token.text
        if token.text == "{":  # an aggregate (text format) value: skip it
            depth = 1
            while depth:
                inner = self.next()
                if inner.kind == "eof":
                    raise self.fail('an option value is missing its closing "}"', inner)
                depth += (inner.text == "{") - (inner.text == "}") if inner.kind == "symbol" else 0
            return "{...}"
        raise self.fail(f"expected a constant, found {_show(token)}", token)

    def field_options(self) -> dict[str, str]:
        options: dict[str, str] = {}
        if not self.accept("["):
            return options
        while True:
            name = self.option_name()
            self.expect("=")
            options[name] = self.constant()
            if self.accept("]"):
                return options
            self.expect(",")

    def register(self, full_name: str, declared: ProtoMessage | ProtoEnum, token: Token) -> None:
        if full_name in self.types:
            raise self.fail(f'"{full_name}" is already defined', token)
        self.types[full_name] = declared

    def message(self, scope: str) -> ProtoMessage:
        self.expect("message")
        name = self.name("a message name")
        message = ProtoMessage(join_path(scope, name.text), name.line)
        self.register(message.full_name, message, name)
        self.expect("{")
        while not self.block_end(f"message {name.text}"):
            token = self.peek()
            if self.accept(";"):
                continue
            if token.text == "message":
                self.message(message.full_name)
            elif token.text == "enum":
                self.enum(message.full_name)
            elif token.text == "option":
                self.option_statement()
            elif token.text == "oneof":
                self.oneof(message)
            elif token.text == "reserved":
                self.reserved(message.reserved_numbers, message.reserved_names)
            elif token.text == "extensions":
                self.next()
                self.ranges()
                self.field_options()
                self.expect(";")
            elif token.text == "extend":
                self.extend()
            else:
                message.fields.append(self.field(oneof=None))
        return message

    def field(self, oneof: str | None) -> ProtoField:
        label = ""
        if self.peek().text in LABELS and self.peek(1).kind == "ident":
            label_token = self.next()
            label = label_token.text
            if oneof is not None:
                raise self.fail(f"a field in oneof {oneof} cannot be {label}", label_token)
        if self.at("group"):
            raise self.fail("groups are not supported: use a nested message")
        key_type = None
        if self.at("map") and self.peek(1).text == "<":
            map_token = self.next()
            if label or oneof is not None:
                raise self.fail("a map field cannot be repeated, optional, required or in a oneof", map_token)
            self.expect("<")
            key_type = self.expect_kind("ident", "a map key type").text
            self.expect(",")
        type_token = self.expect_kind("ident", "a field type")
        if key_type is not None:
            self.expect(">")
        name = self.name("a field name")
        self.expect("=")
        number = self.integer("a field number")
        options = self.field_options()
        self.expect(";")
        return ProtoField(name.text, label, type_token.text, number, name.line, key_type, options.get("default"), oneof)

    def oneof(self, message: ProtoMessage) -> None:
        self.expect("oneof")
        name = self.name("a oneof name").text
        self.expect("{")
        while not self.block_end(f"oneof {name}"):
            if self.accept(";"):
                continue
            if self.at("option"):
                self.option_statement()
            else:
                message.fields.append(self.field(oneof=name))

    def reserved(self, numbers: list[tuple[int, int]], names: set[str]) -> None:
        self.expect("reserved")
        if self.peek().kind in ("string", "ident"):  # names: quoted, or bare in editions
            while True:
                token = self.next()
                if token.kind not in ("string", "ident"):
                    raise self.fail(f"expected a field name, found {_show(token)}", token)
                names.add(token.text.strip("\"'"))
                if not self.accept(","):
                    break
        else:
            numbers.extend(self.ranges())
        self.expect(";")

    def ranges(self) -> list[tuple[int, int]]:
        ranges = []
        while True:
            token = self.peek()
            low = self.integer("a number", signed=True)
            high = low
            if self.accept("to"):
                high = MAX_FIELD_NUMBER if self.accept("max") else self.integer("a number", signed=True)
            if high < low:
                raise self.fail(f"range {low} to {high} is empty", token)
            ranges.append((low, high))
            if not self.accept(","):
                return ranges

    def enum(self, scope: str) -> ProtoEnum:
        self.expect("enum")
        name = self.name("an enum name")
        enum = ProtoEnum(join_path(scope, name.text), name.line)
        self.register(enum.full_name, enum, name)
        self.expect("{")
        allow_alias = False
        reserved_numbers: list[tuple[int, int]] = []
        reserved_names: set[str] = set()
        while not self.block_end(f"enum {name.text}"):
            if self.accept(";"):
                continue
            if self.at("option"):
                option, value = self.option_statement()
                allow_alias = allow_alias or (option == "allow_alias" and value == "true")
            elif self.at("reserved"):
                self.reserved(reserved_numbers, reserved_names)
            else:
                value_name = self.name("an enum value name")
                self.expect("=")
                number = self.integer("an enum value number", signed=True)
                self.field_options()
                self.expect(";")
                if value_name.text in enum.values:
                    raise self.fail(f"enum {name.text} defines {value_name.text} twice", value_name)
                enum.values[value_name.text] = (number, value_name.line)
        _check_enum(enum, self.syntax, allow_alias, reserved_numbers, reserved_names)
        return enum

    def service(self) -> None:
        self.expect("service")
        name = self.name("a service name").text
        self.expect("{")
        while not self.block_end(f"service {name}"):
            if self.accept(";"):
                continue
            if self.at("option"):
                self.option_statement()
                continue
            self.expect("rpc")
            self.name("a method name")
            for keyword in ("", "returns"):
                if keyword:
                    self.expect(keyword)
                self.expect("(")
                if self.at("stream") and self.peek(1).kind == "ident":
                    self.next()
                self.expect_kind("ident", "a message type")
                self.expect(")")
            if self.accept("{"):
                while not self.block_end("rpc"):
                    if not self.accept(";"):
                        self.option_statement()
            else:
                self.expect(";")

    def extend(self) -> None:
        """Extensions are parsed for syntax only: they are not part of the message's own fields."""
        self.expect("extend")
        target = self.expect_kind("ident", "a message type").text
        self.expect("{")
        while not self.block_end(f"extend {target}"):
            if not self.accept(";"):
                self.field(oneof=None)


def _show(token: Token) -> str:
    return token.text if token.kind == "eof" else f'"{token.text}"'


def _check_enum(
    enum: ProtoEnum, syntax: str, allow_alias: bool, reserved_numbers: list[tuple[int, int]], reserved_names: set[str]
) -> None:
    short = enum.full_name.rpartition(".")[2]
    if not enum.values:
        raise SchemaError(f"enum {short} needs at least one value", enum.line)
    first_number, first_line = next(iter(enum.values.values()))
    if syntax == "proto3" and first_number != 0:
        raise SchemaError(f"the first value of enum {short} must be 0 in proto3", first_line)
    numbers: dict[int, str] = {}
    for value, (number, line) in enum.values.items():
        if number in numbers and not allow_alias:
            raise SchemaError(
                f"{value} and {numbers[number]} of enum {short} share number {number}: set option allow_alias = true",
                line,
            )
        numbers.setdefault(number, value)
        if value in reserved_names or any(low <= number <= high for low, high in reserved_numbers):
            raise SchemaError(f"{value} of enum {short} uses a reserved name or number", line)


class _Validator:
    """Checks that need a whole message (or file): numbers, names, labels, reserved, types."""

    def __init__(self, parsed: ProtoFile) -> None:
        self.file = parsed

    def check(self) -> None:
        for declared in self.file.types.values():
            if isinstance(declared, ProtoMessage):
                self.message(declared)

    def message(self, message: ProtoMessage) -> None:
        names: set[str] = set()
        numbers: dict[int, str] = {}
        for f in message.fields:
            if f.name in names:
                raise _at(f, f"field {f.name} is defined twice")
            names.add(f.name)
            if f.number in numbers:
                raise _at(f, f"fields {numbers[f.number]} and {f.name} share number {f.number}")
            numbers[f.number] = f.name
            if not 1 <= f.number <= MAX_FIELD_NUMBER:
                raise _at(f, f"field {f.name}: number {f.number} is out of range (1 to {MAX_FIELD_NUMBER})")
            if f.number in IMPLEMENTATION_RESERVED:
                raise _at(f, f"field {f.name}: numbers 19000 to 19999 are reserved for the protobuf implementation")
            if message.is_reserved(f.number):
                raise _at(f, f"field {f.name} uses number {f.number}, which is reserved")
            if f.name in message.reserved_names:
                raise _at(f, f"field name {f.name} is reserved")
            self.label(f)
            self.types(f, message.full_name)

    def label(self, f: ProtoField) -> None:
        syntax = self.file.syntax
        if syntax == "proto3" and f.label == "required":
            raise _at(f, f"field {f.name}: required fields are not allowed in proto3")
        if syntax == "proto3" and f.default is not None:
            raise _at(f, f"field {f.name}: explicit default values are not allowed in proto3")
        if syntax == "proto2" and not f.label and f.key_type is None and f.oneof is None:
            raise _at(f, f'field {f.name} needs a label in proto2: "optional", "required" or "repeated"')

    def types(self, f: ProtoField, scope: str) -> None:
        if f.key_type is not None and f.key_type not in MAP_KEYS:
            raise _at(f, f"field {f.name}: a map key must be an integer, bool or string type, not {f.key_type}")
        if f.type in SCALARS or self.file.resolve(f.type, scope) is not None:
            return
        if not self.file.imports:  # with imports the type may live in another file: it cannot be checked here
            raise _at(f, f"field {f.name}: unknown type {f.type}")


def _at(f: ProtoField, message: str) -> SchemaError:
    return SchemaError(message, f.line)


# --- diff ------------------------------------------------------------------------------------------------------


def diff(old_text: str, new_text: str) -> list[FieldChange]:
    old, new = parse(old_text), parse(new_text)
    differ = _Differ(old, new)
    if old.root is not None and new.root is not None:
        if old.root.full_name != new.root.full_name:
            differ.add("type_changed", "", old.root.full_name, new.root.full_name)
        differ.message(old.root, new.root, "")
    return differ.changes


class _Differ:
    def __init__(self, old: ProtoFile, new: ProtoFile) -> None:
        self.old, self.new = old, new
        self.changes: list[FieldChange] = []
        self.seen: set[tuple[str, str]] = set()  # (old, new) messages and enums already walked: recursion-safe

    def add(self, kind: str, path: str, before: str | None, after: str | None) -> None:
        self.changes.append(FieldChange(kind, path, before, after))

    def message(self, old: ProtoMessage, new: ProtoMessage, prefix: str) -> None:
        if (old.full_name, new.full_name) in self.seen:
            return
        self.seen.add((old.full_name, new.full_name))
        old_by_name = {f.name: f for f in old.fields}
        new_names = {f.name for f in new.fields}
        # The wire format carries numbers only: an unmatched old field with the same number was renamed.
        gone_by_number = {f.number: f for f in old.fields if f.name not in new_names}
        for new_field in new.fields:
            path = join_path(prefix, new_field.name)
            old_field = old_by_name.get(new_field.name) or gone_by_number.pop(new_field.number, None)
            if old_field is None:
                self.added(new_field, path, new)
                continue
            if old_field.name != new_field.name:
                self.add(
                    "renamed", path, f"{old_field.name} = {old_field.number}", f"{new_field.name} = {new_field.number}"
                )
            self.field(old_field, new_field, path, old, new)
        for old_field in gone_by_number.values():
            self.removed(old_field, join_path(prefix, old_field.name), old, new)

    def added(self, f: ProtoField, path: str, message: ProtoMessage) -> None:
        self.add("added", path, None, self.describe_field(f, self.new, message))
        if f.label == "required":
            self.add("required_added", path, None, "required")

    def removed(self, f: ProtoField, path: str, old: ProtoMessage, new: ProtoMessage) -> None:
        reserved = f"number {f.number} reserved" if new.is_reserved(f.number) else None
        self.add("removed", path, self.describe_field(f, self.old, old), reserved)
        if f.label == "required":
            self.add("required_removed", path, "required", None)

    def field(self, old: ProtoField, new: ProtoField, path: str, old_msg: ProtoMessage, new_msg: ProtoMessage) -> None:
        if old.number != new.number:
            self.add("number_changed", path, str(old.number), str(new.number))
        before, after = _describe_type(old, self.old, old_msg), _describe_type(new, self.new, new_msg)
        if before != after:
            self.add("type_changed", path, before, after)
        if old.default != new.default:
            kind = "default_added" if old.default is None else "default_removed" if new.default is None else ""
            old_desc, new_desc = (
                self.describe_field(old, self.old, old_msg),
                self.describe_field(new, self.new, new_msg),
            )
            self.add(kind or "default_changed", path, old_desc, new_desc)
        if (old.label == "required") != (new.label == "required"):
            kind = "required_added" if new.label == "required" else "required_removed"
            self.add(kind, path, old.label or None, new.label or None)
        old_type = self.old.types.get(self.old.resolve(old.type, old_msg.full_name) or "")
        new_type = self.new.types.get(self.new.resolve(new.type, new_msg.full_name) or "")
        if isinstance(old_type, ProtoMessage) and isinstance(new_type, ProtoMessage):
            self.message(old_type, new_type, path)
        elif isinstance(old_type, ProtoEnum) and isinstance(new_type, ProtoEnum):
            self.enum(old_type, new_type, path)

    def enum(self, old: ProtoEnum, new: ProtoEnum, prefix: str) -> None:
        if (old.full_name, new.full_name) in self.seen:
            return
        self.seen.add((old.full_name, new.full_name))
        for name, (number, _) in new.values.items():
            path = join_path(prefix, name)
            if name not in old.values:
                self.add("symbol_added", path, None, f"{name} = {number}")
            elif old.values[name][0] != number:
                self.add("number_changed", path, str(old.values[name][0]), str(number))
        for name, (number, _) in old.values.items():
            if name not in new.values:
                self.add("symbol_removed", join_path(prefix, name), f"{name} = {number}", None)

    @staticmethod
    def describe_field(f: ProtoField, parsed: ProtoFile, message: ProtoMessage) -> str:
        label = f"{f.label} " if f.label in ("optional", "required") else ""
        default = f" (default {f.default})" if f.default is not None else ""
        return f"{label}{_describe_type(f, parsed, message)} = {f.number}{default}"


def _describe_type(f: ProtoField, parsed: ProtoFile, message: ProtoMessage) -> str:
    """The field's wire shape: "int64", "repeated shop.Item", "map<string, int32>"; named types in full."""
    value = f.type if f.type in SCALARS else parsed.resolve(f.type, message.full_name) or f.type.lstrip(".")
    if f.key_type is not None:
        return f"map<{f.key_type}, {value}>"
    return f"repeated {value}" if f.label == "repeated" else value


# --- compatibility -------------------------------------------------------------------------------------------


def why_breaking(change: FieldChange, direction: str, changes: Sequence[FieldChange] = ()) -> str | None:
    """Why `change` breaks `direction` ("BACKWARD": new reads old; "FORWARD": old reads new), or None.

    Each change is judged alone; `changes`, the whole diff, is for formats that need it (Avro).
    """
    backward = direction == "BACKWARD"
    path = change.path or "the root message"
    match change.kind:
        case "number_changed":
            number, readers = (change.before, "the new schema") if backward else (change.after, "old readers")
            data = "old" if backward else "new"
            return f"{readers} read {path} of {data} data, sent as number {number}, as an unknown or different field"
        case "type_changed":
            data, written, reading = (
                ("old", change.before, change.after) if backward else ("new", change.after, change.before)
            )
            return f"{data} data encodes {path} as {written}, which {reading} does not decode reliably"
        case "removed" if not backward and change.after is None:
            found = re.search(r" = (\d+)", change.before or "")
            number = found.group(1) if found else "N"
            return (
                f"{path} was removed without reserving {number}: old readers see it unset, and a later field "
                f"could reuse the number with another type; add `reserved {number};`"
            )
        case "required_added" if backward:
            return f"{path} is required in the new schema, so reading old data that lacks it fails"
        case "required_removed" if not backward:
            return f"old readers require {path}, which new data may lack"
    return None
