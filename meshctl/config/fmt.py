"""`meshctl fmt`: the canonical layout of HCL, as `terraform fmt` does it.

Two-space indentation by nesting, `key = value` with the `=` of neighbouring attributes
aligned, no trailing spaces, at most one blank line in a row, one newline at the end.
Comments and heredoc bodies are kept as written. Works on lines, so it never changes a
value: the formatted file parses to the same tree (tested).
"""

from __future__ import annotations

import re

_ATTRIBUTE = re.compile(r'^(?P<key>[A-Za-z_][\w-]*|"(?:[^"\\]|\\.)*")\s*=(?!=)\s*(?P<value>.*)$')
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")


def format_hcl(text: str) -> str:
    lines: list[tuple[int, str]] = []  # (depth, text) with -1 depth for verbatim lines
    depth = 0
    heredoc: str | None = None
    for raw in text.splitlines():
        if heredoc is not None:
            lines.append((-1, raw.rstrip()))
            if raw.strip() == heredoc:
                heredoc = None
            continue
        stripped = raw.strip()
        if not stripped:
            lines.append((0, ""))
            continue
        closers = len(stripped) - len(stripped.lstrip("}])"))
        m = _ATTRIBUTE.match(stripped)
        if m:
            stripped = f"{m.group('key')} = {m.group('value')}".rstrip()
        elif _code_part(stripped).endswith("{"):
            stripped = _squash_header(stripped)
        lines.append((max(depth - closers, 0), stripped))
        depth = max(depth + _net_depth(stripped), 0)
        h = _HEREDOC.search(_code_part(stripped))
        if h:
            heredoc = h.group(1)
    return _render(_align(lines))


def _code_part(line: str) -> str:
    """The line without a trailing comment and with string contents blanked."""
    out, in_string, escaped, i = [], False, False, 0
    while i < len(line):
        ch = line[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                out.append(ch)
            i += 1
            continue
        if ch == '"':
            in_string = True
            out.append(ch)
        elif ch == "#" or line.startswith("//", i):
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _squash_header(line: str) -> str:
    """`domain   "sales"  {` -> `domain "sales" {`, strings untouched."""
    out, in_string, escaped = [], False, False
    for ch in line:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            out.append(ch)
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _net_depth(line: str) -> int:
    code = _code_part(line)
    return sum(code.count(c) for c in "{[(") - sum(code.count(c) for c in "}])")


def _align(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Align the `=` of consecutive attributes at the same depth, as terraform fmt does.

    A blank line ends every group; a nested block ends the groups inside it and at its depth.
    """
    out = list(lines)
    groups: dict[int, list[tuple[int, str]]] = {}  # depth -> (line index, attribute name)

    def flush(min_depth: int) -> None:
        for depth in [k for k in groups if k >= min_depth]:
            members = groups.pop(depth)
            if len(members) < 2:
                continue
            width = max(len(key) for _, key in members)
            for i, key in members:
                d, text = out[i]
                value = text[len(key) :].lstrip()[1:].lstrip()
                out[i] = (d, f"{key.ljust(width)} = {value}".rstrip())

    for i, (d, text) in enumerate(lines):
        if d < 0 or not text:
            flush(0)
        elif text.startswith(("#", "//", "/*")):
            continue
        elif attribute := _ATTRIBUTE.match(text):
            flush(d + 1)
            groups.setdefault(d, []).append((i, attribute.group("key")))
        elif text[0] in "}])":
            flush(d + 1)
        else:  # a block header such as `owners {`
            flush(d)
    flush(0)
    return out


def _render(lines: list[tuple[int, str]]) -> str:
    out: list[str] = []
    for d, text in lines:
        if d < 0:
            out.append(text)
        elif not text:
            if out and out[-1] != "":
                out.append("")
        else:
            out.append("  " * d + text)
    while out and out[-1] == "":
        out.pop()
    while out and out[0] == "":
        out.pop(0)
    return "\n".join(out) + "\n" if out else ""
