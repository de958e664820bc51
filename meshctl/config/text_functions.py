"""String, regular-expression, collection and encoding functions Terraform users reach for:
`regex`, `regexall`, `startswith`, `endswith`, `trimprefix`, `trimsuffix`, `substr`,
`yamlencode`, `zipmap`, `one`, `abs`, `toset`.

Regular expressions run on RE2 (google-re2), the engine behind Terraform's own `regex`: the
syntax is Terraform's, and matching takes time linear in the input, so a pattern written to
backtrack forever (`(a+)+$`) cannot hang a plan. Inputs are still bounded so one call
cannot take seconds.
"""

from __future__ import annotations

import json
import math
from typing import Any

import re2

from meshctl.config.functions_base import FunctionError, type_name, want

MAX_PATTERN = 4096  # characters of a regex pattern
MAX_SUBJECT = 1_000_000  # characters of the string a regex searches

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print a bad pattern to stderr; the error says it instead


def _compile(pattern_value: object, fn: str) -> re2._Regexp[str]:
    pattern = want(pattern_value, str, f"{fn}'s pattern")
    if len(pattern) > MAX_PATTERN:
        raise FunctionError(f"the pattern has {len(pattern)} characters; at most {MAX_PATTERN} are allowed")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise FunctionError(
            f"invalid regular expression {pattern!r}: {reason}"
            " (RE2 syntax, as Terraform's: no lookaround or backreferences)"
        ) from None


def _subject(value: object, fn: str) -> str:
    text = want(value, str, f"{fn}'s string")
    if len(text) > MAX_SUBJECT:
        raise FunctionError(f"the string has {len(text)} characters; at most {MAX_SUBJECT} are searched")
    return text


def _match_value(regex: re2._Regexp[str], match: Any) -> object:
    """What Terraform returns for one match: the matched text without capture groups, a map
    with named groups only, a list with unnamed groups only."""
    if regex.groups == 0:
        return match.group(0)
    named = regex.groupindex
    if named:
        if len(named) != regex.groups:
            raise FunctionError("a pattern may not mix named and unnamed capture groups")
        return {name: match.group(name) for name in named}
    return list(match.groups())


def fn_regex(pattern: object, string: object) -> object:
    regex = _compile(pattern, "regex")
    match = regex.search(_subject(string, "regex"))
    if match is None:
        raise FunctionError("pattern did not match any part of the given string")
    return _match_value(regex, match)


def fn_regexall(pattern: object, string: object) -> list[object]:
    regex = _compile(pattern, "regexall")
    return [_match_value(regex, m) for m in regex.finditer(_subject(string, "regexall"))]


def fn_startswith(s: object, prefix: object) -> bool:
    return want(s, str, "startswith's string").startswith(want(prefix, str, "startswith's prefix"))


def fn_endswith(s: object, suffix: object) -> bool:
    return want(s, str, "endswith's string").endswith(want(suffix, str, "endswith's suffix"))


def fn_trimprefix(s: object, prefix: object) -> str:
    return want(s, str, "trimprefix's string").removeprefix(want(prefix, str, "trimprefix's prefix"))


def fn_trimsuffix(s: object, suffix: object) -> str:
    return want(s, str, "trimsuffix's string").removesuffix(want(suffix, str, "trimsuffix's suffix"))


def fn_substr(s: object, offset_value: object, length_value: object) -> str:
    """Terraform's substr: a negative offset counts from the end, length -1 means to the end,
    and a range past the end is cut short (characters are Unicode code points)."""
    text = want(s, str, "substr's string")
    offset = want(offset_value, int, "substr's offset")
    length = want(length_value, int, "substr's length")
    if length < -1:
        raise FunctionError(f"length must be -1 (to the end) or at least 0, got {length}")
    if offset < 0:
        offset = max(offset + len(text), 0)
    return text[offset:] if length == -1 else text[offset : offset + length]


def fn_zipmap(keys_value: object, values_value: object) -> dict[str, object]:
    keys = want(keys_value, list, "zipmap's keys")
    values = want(values_value, list, "zipmap's values")
    if len(keys) != len(values):
        raise FunctionError(f"number of keys ({len(keys)}) does not match number of values ({len(values)})")
    out: dict[str, object] = {}
    for i, key in enumerate(keys):
        if not isinstance(key, str):
            raise FunctionError(f"key {i} must be a string, got {type_name(key)}")
        out[key] = values[i]
    return out


def fn_one(v: object) -> object:
    items = want(v, list, "one's argument")
    if len(items) > 1:
        raise FunctionError(f"must be a list with no more than one element, got {len(items)} elements")
    return items[0] if items else None


def fn_abs(v: object) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise FunctionError(f"abs's argument must be a number, got {type_name(v)}")
    return abs(v)


def fn_toset(v: object) -> list[object]:
    """A set as meshctl shows one: a list without repeats, ordered as Terraform orders a set of
    strings or numbers (sorted); a set of lists or maps keeps first-seen order."""
    items = want(v, list, "toset's argument")
    out: list[object] = []
    for item in items:
        if item is None:
            raise FunctionError("a set cannot contain null")
        if item not in out:
            out.append(item)
    kinds = {type_name(i) for i in out}
    if len(kinds) > 1:
        raise FunctionError(f"all elements of a set must have one type, got {' and '.join(sorted(kinds))}")
    if kinds in ({"string"}, {"number"}, {"bool"}):
        out.sort(key=lambda x: x)  # type: ignore[arg-type,return-value]  # one comparable kind, checked above
    return out


def fn_yamlencode(v: object) -> str:
    """YAML in block style, as Terraform writes it; strings are double-quoted (JSON escapes are
    valid YAML), so a value such as `no` or `1.0` keeps its type when read back."""
    lines: list[str] = []
    _yaml(v, 0, lines)
    return "\n".join(lines) + "\n"


def _yaml_scalar(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if not math.isfinite(v):
            raise FunctionError(f"cannot encode {v} as YAML")
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list) and not v:
        return "[]"
    if isinstance(v, dict) and not v:
        return "{}"
    raise FunctionError(f"cannot encode {type_name(v)} as YAML")


def _yaml(v: object, indent: int, lines: list[str], prefix: str = "") -> None:
    pad = " " * indent
    if isinstance(v, dict) and v:
        first = True
        for key, item in v.items():
            head = (prefix if first else pad) + json.dumps(str(key), ensure_ascii=False) + ":"
            first = False
            if isinstance(item, (dict, list)) and item:
                lines.append(head)
                # a list under a key sits at the key's indent, a map one level deeper
                _yaml(item, indent if isinstance(item, list) else indent + 2, lines)
            else:
                lines.append(f"{head} {_yaml_scalar(item)}")
        return
    if isinstance(v, list) and v:
        for i, item in enumerate(v):
            dash = (prefix if i == 0 and prefix else pad) + "- "
            if isinstance(item, (dict, list)) and item:
                _yaml(item, indent + 2, lines, prefix=dash)
            else:
                lines.append(f"{dash}{_yaml_scalar(item)}")
        return
    lines.append(prefix + _yaml_scalar(v) if prefix else pad + _yaml_scalar(v))
