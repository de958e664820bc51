"""Files: reading those a user hands meshctl (UTF-8 text, JSON documents of an expected
shape), writing meshctl's own atomically, and where they are shown and cached.

Every reader that meets a file goes through here, so a binary file, a truncated or deeply
nested JSON document, or a document of the wrong shape is one clear message naming the
file (and the line where that is known), never a traceback.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from meshctl.errors import Diagnostic, MeshError, SourceRange, error

T = TypeVar("T")

CACHE_DIR_ENV = "MESHCTL_CACHE_DIR"  # parsed HCL files; also where the sandbox keeps Kafka's jars

_KIND_WORDS: dict[type, str] = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "a whole number",
    bool: "true or false",
}


class BadDocumentError(MeshError):
    """A file meshctl cannot use as it is: not UTF-8, not JSON, or not of the expected shape."""

    def __init__(self, name: str, summary: str, line: int = 0, hint: str = ""):
        super().__init__(f"{name}:{line}: {summary}" if line else f"{name}: {summary}")
        self.name = name
        self.line = line
        self.summary = summary
        self.hint = hint

    @property
    def diagnostic(self) -> Diagnostic:
        return error(self.summary, SourceRange(self.name, self.line or 1), hint=self.hint)

    def format(self) -> str:
        where = f"{self.name}:{self.line}" if self.line else self.name
        return f"{where}: error: {self.summary}" + (f"\n  hint: {self.hint}" if self.hint else "")


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text (a leading byte-order mark is dropped), or an error at the first bad byte's line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadDocumentError(
            name,
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded",
            line,
            hint="save the file as UTF-8",
        ) from None
    nul = data.find(b"\0")
    if nul >= 0:  # valid UTF-8, but no text file holds NUL: a binary file, or UTF-16 from an editor
        raise BadDocumentError(
            name,
            "not a text file: it contains a NUL byte",
            data.count(b"\n", 0, nul) + 1,
            hint="save the file as UTF-8",
        )
    return text.removeprefix("\ufeff")


def read_text(path: Path, name: str | None = None) -> str:
    """A text file as UTF-8; OSError (a missing file, no permission) is left to the caller."""
    return decode_text(path.read_bytes(), name or str(path))


def parse_json(text: str, name: str) -> object:
    """A JSON document, or one error naming the line where parsing stopped."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadDocumentError(name, f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:  # the C decoder counts nesting against the interpreter's recursion limit
        raise BadDocumentError(name, "JSON nested too deeply to read") from None


def read_json(path: Path, name: str | None = None) -> JsonValue:
    """A JSON file as a `JsonValue`, to read with the shape the caller expects."""
    shown = name or str(path)
    return JsonValue(parse_json(read_text(path, shown), shown), shown)


@dataclass(frozen=True)
class JsonValue:
    """A value inside a JSON document with its path (`resources[2].type`) for messages.

    Accessors check the type they promise, so a document of the wrong shape is one
    error naming the file and the member, not a KeyError deep in the caller.
    """

    value: object
    file: str
    path: str = ""

    def _fail(self, member: str, problem: str) -> BadDocumentError:
        return BadDocumentError(self.file, f"{member or 'the document'} {problem}")

    def expect(self, kind: type[T]) -> T:
        # bool is an int in Python; a JSON true is never a count or a serial.
        if not isinstance(self.value, kind) or (kind is int and isinstance(self.value, bool)):
            raise self._fail(
                self.path, f"should be {_KIND_WORDS.get(kind, kind.__name__)}, not {_describe(self.value)}"
            )
        return self.value

    def get(self, key: str, kind: type[T], default: T | None = None) -> T:
        """The member `key` of this object, of type `kind`; missing is an error unless a default is given."""
        obj = self.expect(dict)
        member = f"{self.path}.{key}" if self.path else key
        if key not in obj:
            if default is not None:
                return default
            raise self._fail(member, f"is missing ({_KIND_WORDS.get(kind, kind.__name__)} expected)")
        return JsonValue(obj[key], self.file, member).expect(kind)

    def optional(self, key: str, kind: type[T]) -> T | None:
        """The member `key` of type `kind`, or None when it is missing or null."""
        if self.expect(dict).get(key) is None:
            return None
        return self.get(key, kind)

    def member(self, key: str) -> JsonValue:
        """The member `key` of this object (it must be present), to read further."""
        obj = self.expect(dict)
        member = f"{self.path}.{key}" if self.path else key
        if key not in obj:
            raise self._fail(member, "is missing")
        return JsonValue(obj[key], self.file, member)

    def items(self, key: str) -> Iterator[JsonValue]:
        """The elements of the list member `key` (absent means empty)."""
        for i, value in enumerate(self.get(key, list, [])):
            yield JsonValue(value, self.file, f"{self.path}.{key}[{i}]" if self.path else f"{key}[{i}]")


def _describe(value: object) -> str:
    if value is None:
        return "null"
    for kind in (bool, dict, list, str, int):
        if isinstance(value, kind):
            return _KIND_WORDS[kind]
    return "a number" if isinstance(value, float) else type(value).__name__


def atomic_write(path: Path, text: str, mode: int = 0o644) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file.
    A path that cannot be written (no permission, a full disk) is one error naming it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise MeshError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MeshError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output(path: Path, text: str) -> None:
    """A file the user named for output (`--out`, `--html`): replaced atomically, except where
    the name is a symlink or no regular file (`/dev/stdout`, a FIFO a collector reads): those
    are written through, since replacing them would put a file where the link or device was
    (as root, /dev/stdout itself)."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        try:
            with open(path, "w") as fh:
                fh.write(text)
        except OSError as exc:
            raise MeshError(f"cannot write {path}: {exc.strerror}") from None
        return
    atomic_write(path, text)


def display_path(path: Path, base: Path | None = None) -> str:
    """A path as the user typed it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to((base or Path.cwd()).resolve()))
    except ValueError:
        return str(path)


def user_cache_dir(env: Mapping[str, str]) -> Path:
    """`$MESHCTL_CACHE_DIR`, else `$XDG_CACHE_HOME/meshctl`, else `~/.cache/meshctl`."""
    configured = env.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative one
        return Path(xdg) / "meshctl"
    return Path.home() / ".cache" / "meshctl"
