"""JSON text with line numbers, so that errors in Avro and JSON Schema files can point at a line.

The standard decoder parses (and reports syntax errors with their line); a second, much simpler pass
over the already-valid text records where each member and element starts, keyed by its JSON path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from meshctl.schemas.model import SchemaError

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class JsonDoc:
    value: Any
    lines: dict[JsonPath, int]  # object members: the line of the key; array elements: the line they start on

    def line(self, path: JsonPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)

    def error(self, message: str, path: JsonPath) -> SchemaError:
        return SchemaError(message, self.line(path))


def parse(text: str) -> Any:
    """The decoded JSON value; syntax errors become a SchemaError with the decoder's line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise SchemaError("invalid JSON: nested too deeply") from None


def load(text: str) -> JsonDoc:
    """Parse `text` and index its lines; a key repeated within one object is an error (the decoder keeps the last)."""
    value = parse(text)
    return JsonDoc(value, _LineScanner(text).scan())


def canonical(text: str) -> str:
    """Compact JSON with sorted keys: equal for texts that differ only in whitespace and key order."""
    return json.dumps(parse(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def kind_of(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def dumps(value: Any) -> str:
    """A JSON value as it appears in descriptions: `null`, `0`, `""`, `["a"]`."""
    return json.dumps(value, ensure_ascii=False)


class _LineScanner:
    """Walks text that json.loads has accepted, so it can skip all error handling."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[JsonPath, int] = {}

    def scan(self) -> dict[JsonPath, int]:
        self._value(())
        return self.lines

    def _skip_space(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos] in " \t\r\n":
            if text[self.pos] == "\n":
                self.line += 1
            self.pos += 1

    def _next_char(self) -> str:
        self._skip_space()
        char = self.text[self.pos]
        self.pos += 1
        return char

    def _value(self, path: JsonPath) -> None:
        self._skip_space()
        self.lines.setdefault(path, self.line)
        char = self.text[self.pos]
        if char == "{":
            self._object(path)
        elif char == "[":
            self._array(path)
        elif char == '"':
            self._string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]} \t\r\n":
                self.pos += 1

    def _object(self, path: JsonPath) -> None:
        self.pos += 1
        self._skip_space()
        if self.text[self.pos] == "}":
            self.pos += 1
            return
        keys: set[str] = set()
        while True:
            self._skip_space()
            line = self.line
            key = self._string()
            if key in keys:
                raise SchemaError(f'duplicate key "{key}"', line)
            keys.add(key)
            self.lines[(*path, key)] = line
            self._next_char()  # ":"
            self._value((*path, key))
            if self._next_char() == "}":
                return

    def _array(self, path: JsonPath) -> None:
        self.pos += 1
        self._skip_space()
        if self.text[self.pos] == "]":
            self.pos += 1
            return
        index = 0
        while True:
            self._value((*path, index))
            index += 1
            if self._next_char() == "]":
                return

    def _string(self) -> str:
        start = self.pos
        self.pos += 1
        while self.text[self.pos] != '"':
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        self.pos += 1
        return json.loads(self.text[start : self.pos])
