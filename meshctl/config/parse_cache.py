"""A cache of parsed HCL files in the user's cache directory, never in the mesh directory.

python-hcl2 spends about 0.2 ms per line; a mesh that did not change (the drift cron, a
re-plan) reads its syntax trees back instead. Entries are JSON data (`config.ast_json`),
never code, and nothing is read from or written to the mesh directory: a file committed to
a mesh repository cannot run when meshctl reads it (the old pickle cache in `.meshctl/` could).

Layout: `<cache>/hcl/<hash of the mesh directory's resolved path>/<key>.json`, directories
0700 and files 0600 (the trees hold the configuration's structure). The key covers the
format, the meshctl version, the shown file name (diagnostics carry it) and the text. A
load prunes its own mesh's stale entries and whole mesh directories unused for a month;
an unreadable, foreign or malformed entry is a miss, a cache that cannot be written only
costs time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from meshctl import __version__
from meshctl.config import ast, ast_json, parallel_parse
from meshctl.config import hcl as hcl_errors
from meshctl.documents import user_cache_dir

SWITCH_ENV = "MESHCTL_PARSE_CACHE"  # "0", "false", "no" or "off": parse every file every time
_OFF = frozenset({"0", "false", "no", "off"})
MAX_IDLE_SECONDS = 30 * 24 * 3600  # a mesh directory's entries unused this long are removed
_MAX_ENTRY_BYTES = 64 * 1024 * 1024
_ENTRY = re.compile(r"[0-9a-f]{64}\.json")
_TEMP = re.compile(r"[0-9a-f]{64}\.\d+\.tmp")
_MESH = re.compile(r"[0-9a-f]{32}")


def parse_cache_dir(env: Mapping[str, str]) -> Path | None:
    """Where parsed files are cached, or None when `MESHCTL_PARSE_CACHE` turns the cache off."""
    if env.get(SWITCH_ENV, "").strip().lower() in _OFF:
        return None
    return user_cache_dir(env) / "hcl"


def entry_key(name: str, text: str) -> str:
    return hashlib.sha256(f"{ast_json.FORMAT}\0{__version__}\0{name}\0{text}".encode()).hexdigest()


def mesh_key(directory: Path) -> str:
    return hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ParseCache:
    """Parses through the cache of one mesh directory."""

    mesh_dir: Path | None  # `<root>/<mesh key>`; None parses every time
    parser: Callable[[str, str], ast.Body]
    used: set[str] = field(default_factory=set)  # keys this load asked for: what pruning keeps
    ready: dict[tuple[str, str], parallel_parse.Parsed] = field(default_factory=dict)  # prefetched

    @classmethod
    def open(cls, root: Path | None, directory: Path, parser: Callable[[str, str], ast.Body]) -> ParseCache:
        return cls(None if root is None else root / mesh_key(directory), parser)

    def prefetch(self, texts: Mapping[str, str]) -> None:
        """Parse the files of `texts` (name -> text) the cache does not hold in worker processes
        (config.parallel_parse) when there is enough of them; `parse` then hands out the results."""
        missing: dict[str, str] = {}
        for name, text in texts.items():
            body = None if self.mesh_dir is None else _read(self.mesh_dir / f"{entry_key(name, text)}.json", name)
            if body is not None:
                self.ready[(name, text)] = body
            else:
                missing[name] = text
        if self.parser is not hcl_errors.parse or not parallel_parse.worth_a_pool(missing):
            return  # the workers run hcl.parse: a load given another parser parses here
        try:
            for name, parsed, encoded in parallel_parse.parse_in_workers(missing):
                if parsed is None:
                    continue
                self.ready[(name, missing[name])] = parsed
                if encoded and self.mesh_dir is not None:
                    _write_encoded(self.mesh_dir, entry_key(name, missing[name]), name, encoded)
        except OSError:
            return  # no pool on this machine: `parse` parses them here

    def parse(self, text: str, name: str) -> ast.Body:
        """The syntax tree of `text`, shown as `name`: from the cache when an identical file was parsed."""
        ready = self.ready.pop((name, text), None)
        if self.mesh_dir is None:
            return self._given(ready) or self.parser(text, name)
        key = entry_key(name, text)
        self.used.add(key)
        body = self._given(ready) or _read(self.mesh_dir / f"{key}.json", name)
        if body is None:
            body = self.parser(text, name)
            _write(self.mesh_dir, key, name, body)
        return body

    @staticmethod
    def _given(ready: parallel_parse.Parsed | None) -> ast.Body | None:
        """A prefetched tree; a prefetched syntax error is raised as the parse would have."""
        if isinstance(ready, hcl_errors.HclSyntaxError):
            raise ready
        return ready

    def prune(self, now: float | None = None) -> None:
        """Drop this mesh's entries of files that changed since, and meshes unused for a month."""
        mesh_dir = self.mesh_dir
        now = time.time() if now is None else now
        try:
            if mesh_dir is None or not mesh_dir.is_dir():  # is_dir raises on an unreadable parent
                return
            os.utime(mesh_dir)  # marks this mesh as in use
            for entry in mesh_dir.iterdir():
                stale = _ENTRY.fullmatch(entry.name) and entry.name[:64] not in self.used
                if stale or _old_temp(entry, now):
                    entry.unlink(missing_ok=True)
            for other in mesh_dir.parent.iterdir():
                if _MESH.fullmatch(other.name) and other != mesh_dir and _idle(other, now):
                    _remove_mesh_dir(other)
        except OSError:
            pass  # pruning is housekeeping: never a reason to fail a load


def _read(path: Path, name: str) -> ast.Body | None:
    """The entry's tree, or None when it is missing, not ours, not a plain file or not what we wrote."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_size > _MAX_ENTRY_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = json.loads(handle.read())
        if type(data) is not dict or set(data) != {"format", "meshctl", "file", "body"}:
            return None
        if (data["format"], data["meshctl"], data["file"]) != (ast_json.FORMAT, __version__, name):
            return None
        return ast_json.decode_body(data["body"], name)
    except (OSError, ValueError, RecursionError):  # ValueError covers JSON and shape errors
        return None
    finally:
        os.close(fd)


def _write(mesh_dir: Path, key: str, name: str, body: ast.Body) -> None:
    try:
        encoded = json.dumps(ast_json.encode_body(body, name), separators=(",", ":"))
    except (ast_json.CodecError, RecursionError):
        return  # a tree the codec cannot hold is simply parsed every time
    _write_encoded(mesh_dir, key, name, encoded)


def _write_encoded(mesh_dir: Path, key: str, name: str, encoded: str) -> None:
    """Store the entry of a tree given as its JSON text (ast_json)."""
    entry = {"format": ast_json.FORMAT, "meshctl": __version__, "file": name}
    data = json.dumps({**entry, "body": None}, separators=(",", ":"))
    data = data[: -len("null}")] + encoded + "}"
    tmp = mesh_dir / f"{key}.{os.getpid()}.tmp"
    try:
        _private_dir(mesh_dir)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(data)
        os.replace(tmp, mesh_dir / f"{key}.json")
    except OSError:  # a cache that cannot be written only costs time
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _private_dir(path: Path) -> None:
    """Create `path` (and missing parents) 0700; tighten `path` and its parent if they are wider."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=0o700, exist_ok=True)
    for p in (path, path.parent):  # the mesh's directory and `<cache>/hcl`: both ours alone
        if stat.S_IMODE(p.stat().st_mode) & 0o077:
            p.chmod(0o700)


def _idle(path: Path, now: float) -> bool:
    return now - path.stat().st_mtime > MAX_IDLE_SECONDS


def _old_temp(path: Path, now: float) -> bool:
    """A temporary file a crashed run left behind (a live writer renames its own within a moment)."""
    return bool(_TEMP.fullmatch(path.name)) and now - path.stat().st_mtime > 3600


def _remove_mesh_dir(path: Path) -> None:
    """Remove another mesh's entries: only names this module writes, then the directory if empty."""
    for entry in path.iterdir():
        if _ENTRY.fullmatch(entry.name) or _TEMP.fullmatch(entry.name):
            entry.unlink(missing_ok=True)
    try:
        path.rmdir()
    except OSError:
        pass  # something else lives there: leave it
