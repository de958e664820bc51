"""Paths that functions (`file`, `fileset`) read: always inside the mesh (or module) directory.

A repository's HCL must never make meshctl read outside it: an absolute path, a `..`
component, and a symbolic link whose target lies outside are refused, so
`file("/etc/passwd")`, `file("../../.aws/credentials")` and a committed link to either are
one error at the call's line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

import re2

from meshctl.config.functions_base import FunctionError, want

MAX_FILESET_FILES = 10_000  # files a fileset() walk visits: a bound on one call's work


def contained_path(base: Path, path: str, fn: str) -> Path:
    """`path` (relative, `/`-separated) resolved under `base`; refused if it leads out."""
    if not path:
        raise FunctionError(f"{fn}'s path is empty")
    pure = PurePosixPath(path.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", path):
        raise FunctionError(f"{path!r} is absolute: {fn} reads only files inside the mesh directory")
    if ".." in pure.parts:
        raise FunctionError(f"{path!r} goes up with '..': {fn} reads only files inside the mesh directory")
    root = base.resolve()
    target = (root / pure).resolve()
    if not target.is_relative_to(root):
        raise FunctionError(f"{path!r} is a symbolic link leading outside the mesh directory: {fn} refuses it")
    return target


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def _pattern_regex(pattern: str) -> Any:
    """A fileset glob (`*`, `**`, `?`, `[abc]`, `{a,b}`) as a regular expression on `/` paths,
    compiled with RE2: a pattern such as `**/**/**/**/x` backtracks exponentially in Python's re
    (seconds per path), in linear time in RE2."""
    if len(pattern) > 1024:
        raise FunctionError(f"the pattern has {len(pattern)} characters; at most 1024 are allowed")
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise FunctionError(f"pattern {pattern!r}: '[' without ']'")
            body = pattern[i + 1 : end]
            negate = body.startswith(("!", "^"))
            chars = (body[1:] if negate else body).replace("\\", "\\\\").replace("[", "\\[")
            out.append("[" + ("^" if negate else "") + chars + "]")
            i = end + 1
            continue
        elif c == "{":
            out.append("(?:")
            depth += 1
        elif c == "}" and depth:
            out.append(")")
            depth -= 1
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re2.escape(c))
        i += 1
    if depth:
        raise FunctionError(f"pattern {pattern!r}: '{{' without '}}'")
    try:
        return re2.compile("".join(out), _RE2_OPTIONS)
    except re2.error:
        raise FunctionError(f"pattern {pattern!r} is not a valid glob") from None


def fileset(base: Path, path_value: object, pattern_value: object) -> list[str]:
    """Terraform's fileset: the files under `path` matching `pattern`, as sorted paths relative
    to `path`. Directories are not listed; a symlink leading out is an error, not skipped, so a
    planted link is noticed."""
    path = want(path_value, str, "fileset's path")
    pattern = want(pattern_value, str, "fileset's pattern")
    top = base.resolve() if path in ("", ".") else contained_path(base, path, "fileset")
    root = base.resolve()
    matcher = _pattern_regex(pattern)
    if not top.is_dir():
        return []
    found: list[str] = []
    visited = 0
    for dirpath, dirnames, filenames in os.walk(top):  # does not follow directory links
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink() and not (here / d).resolve().is_relative_to(root):
                rel = (here / d).relative_to(top).as_posix()
                raise FunctionError(f"{rel!r} is a symbolic link leading outside the mesh directory")
        dirnames.sort()
        for name in filenames:
            visited += 1
            if visited > MAX_FILESET_FILES:
                raise FunctionError(f"more than {MAX_FILESET_FILES} files under {path!r}")
            full = here / name
            rel = full.relative_to(top).as_posix()
            if not matcher.fullmatch(rel):
                continue
            if full.is_symlink() and not full.resolve().is_relative_to(root):
                raise FunctionError(f"{rel!r} is a symbolic link leading outside the mesh directory")
            if full.is_file():
                found.append(rel)
    return sorted(found)
