"""The built-in functions of the language, as Terraform users know them.

Each function takes already-evaluated Python values and raises `FunctionError` with a
message that names what was wrong; the evaluator adds the source location.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from meshctl.config import collection_functions as coll
from meshctl.config import text_functions as text
from meshctl.config.file_functions import contained_path, fileset
from meshctl.config.functions_base import FunctionError, kind_word, type_name, want
from meshctl.documents import BadDocumentError, parse_json, read_text

__all__ = ["FunctionError", "make_functions", "to_string"]

_type_name = type_name
_want = want
_kind_word = kind_word


def to_string(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (str, int, float)):
        return str(v)
    raise FunctionError(f"cannot convert {_type_name(v)} to string")


_FORMAT_RE = re.compile(r"%(%|[-+ #0]*\d*(?:\.\d+)?[sdvqftx])")


def fn_format(spec_value: object, *args: object) -> str:
    spec = _want(spec_value, str, "format's first argument")
    values = list(args)

    def repl(m: re.Match[str]) -> str:
        verb = m.group(1)
        if verb == "%":
            return "%"
        if not values:
            raise FunctionError(f"format {spec!r} needs more arguments than the {len(args)} given")
        v = values.pop(0)
        letter, flags = verb[-1], verb[:-1]
        if letter in "sv":
            return ("%" + flags + "s") % (
                v if isinstance(v, str) else json.dumps(v) if isinstance(v, (list, dict)) else to_string(v)
            )
        if letter == "q":
            return json.dumps(to_string(v))
        if letter in "dx":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise FunctionError(f"%{letter} needs a number, got {_type_name(v)}")
            if isinstance(v, float) and not math.isfinite(v):
                raise FunctionError(f"%{letter} needs a finite number, got {v}")
            return ("%" + flags + letter) % int(v)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise FunctionError(f"%{letter} needs a number, got {_type_name(v)}")
        return ("%" + flags + letter) % v

    out = _FORMAT_RE.sub(repl, spec)
    if values:
        raise FunctionError(f"format {spec!r} has {len(args) - len(values)} verbs but {len(args)} arguments were given")
    return out


def fn_merge(*maps: object) -> dict[Any, object]:
    out: dict[Any, object] = {}
    for i, m in enumerate(maps, 1):
        if m is None:
            continue
        out.update(_want(m, dict, f"merge argument {i}"))
    return out


def fn_concat(*lists: object) -> list[object]:
    out: list[object] = []
    for i, lst in enumerate(lists, 1):
        out.extend(_want(lst, list, f"concat argument {i}"))
    return out


def fn_lookup(m_value: object, key: object, *default: object) -> object:
    m = _want(m_value, dict, "lookup's first argument")
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise FunctionError(f"key {key!r} not found and no default given")


def fn_length(v: object) -> int:
    if isinstance(v, (str, list, dict)):
        return len(v)
    raise FunctionError(f"length's argument must be a {_kind_word((str, list, dict))}, got {_type_name(v)}")


def fn_tonumber(v: object) -> int | float:
    if isinstance(v, bool):
        raise FunctionError("cannot convert bool to number")
    if isinstance(v, (int, float)):
        return v
    try:
        f = float(str(v))
    except ValueError:
        raise FunctionError(f"cannot convert {v!r} to a number") from None
    return int(f) if f.is_integer() else f


def fn_flatten(v: object) -> list[object]:
    out: list[object] = []
    for item in _want(v, list, "flatten's argument"):
        out.extend(fn_flatten(item) if isinstance(item, list) else [item])
    return out


def fn_coalesce(*values: object) -> object:
    for v in values:
        if v not in (None, ""):
            return v
    raise FunctionError("no non-null, non-empty argument")


def fn_distinct(v: object) -> list[object]:
    out: list[object] = []
    for item in _want(v, list, "distinct's argument"):
        if item not in out:
            out.append(item)
    return out


def fn_range(*args: object) -> list[int]:
    return list(range(*[_want(a, int, "range's argument") for a in args]))


def fn_element(lst_value: object, index_value: object) -> object:
    lst = _want(lst_value, list, "element's first argument")
    index = _want(index_value, int, "element's index")
    if not lst:
        raise FunctionError("element of an empty list")
    return lst[index % len(lst)]


def _str_fn(f: Callable[[str], object], name: str) -> Callable[[object], object]:
    def wrapped(v: object) -> object:
        return f(_want(v, str, f"{name}'s argument"))

    return wrapped


def make_functions(base_dir: Path) -> dict[str, Callable[..., object]]:
    """The function table; `file` reads relative to the mesh directory."""

    def fn_file(path_value: object) -> str:
        path = _want(path_value, str, "file's argument")
        target = contained_path(base_dir, path, "file")
        try:
            return read_text(target, str(path))
        except BadDocumentError as exc:
            raise FunctionError(f"cannot read {path!r}: {exc.summary} at line {exc.line}") from None
        except FileNotFoundError:
            raise FunctionError(f"no file {path!r} (looked in {base_dir})") from None
        except OSError as exc:
            raise FunctionError(f"cannot read {path!r}: {exc.strerror}") from None

    def fn_jsondecode(v: object) -> object:
        text = _want(v, str, "jsondecode's argument")
        try:
            return parse_json(text, "jsondecode's argument")
        except BadDocumentError as exc:
            raise FunctionError(f"{exc.summary} at line {exc.line}" if exc.line else exc.summary) from None

    def fn_join(sep: object, lst: object) -> str:
        separator = _want(sep, str, "join's separator")
        return separator.join(to_string(x) for x in _want(lst, list, "join's list"))

    def fn_split(sep: object, s: object) -> list[str]:
        separator = _want(sep, str, "split's separator")
        return _want(s, str, "split's string").split(separator)

    def fn_replace(s: object, old: object, new: object) -> str:
        text, old_text, new_text = (_want(a, str, "replace's argument") for a in (s, old, new))
        return text.replace(old_text, new_text)

    def fn_contains(lst: object, v: object) -> bool:
        return v in _want(lst, list, "contains' first argument")

    def fn_keys(m: object) -> list[str]:
        return sorted(_want(m, dict, "keys' argument"))

    def fn_values(m: object) -> list[object]:
        values = _want(m, dict, "values' argument")
        return [values[k] for k in sorted(values)]

    return {
        "file": fn_file,
        "jsonencode": lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True),
        "jsondecode": fn_jsondecode,
        "lower": _str_fn(str.lower, "lower"),
        "upper": _str_fn(str.upper, "upper"),
        "title": _str_fn(str.title, "title"),
        "trimspace": _str_fn(str.strip, "trimspace"),
        "format": fn_format,
        "merge": fn_merge,
        "concat": fn_concat,
        "join": fn_join,
        "split": fn_split,
        "replace": fn_replace,
        "contains": fn_contains,
        "keys": fn_keys,
        "values": fn_values,
        "lookup": fn_lookup,
        "length": fn_length,
        "tostring": to_string,
        "tonumber": fn_tonumber,
        "flatten": fn_flatten,
        "coalesce": fn_coalesce,
        "distinct": fn_distinct,
        "range": fn_range,
        "element": fn_element,
        "min": lambda *v: min(v),
        "max": lambda *v: max(v),
        "sha256": _str_fn(lambda s: hashlib.sha256(s.encode()).hexdigest(), "sha256"),
        "base64encode": _str_fn(lambda s: base64.b64encode(s.encode()).decode(), "base64encode"),
        "fileset": lambda path, pattern: fileset(base_dir, path, pattern),
        "regex": text.fn_regex,
        "regexall": text.fn_regexall,
        "startswith": text.fn_startswith,
        "endswith": text.fn_endswith,
        "trimprefix": text.fn_trimprefix,
        "trimsuffix": text.fn_trimsuffix,
        "substr": text.fn_substr,
        "yamlencode": text.fn_yamlencode,
        "zipmap": text.fn_zipmap,
        "one": text.fn_one,
        "abs": text.fn_abs,
        "toset": text.fn_toset,
        "alltrue": coll.fn_alltrue,
        "anytrue": coll.fn_anytrue,
        "sum": coll.fn_sum,
        "compact": coll.fn_compact,
        "reverse": coll.fn_reverse,
        "sort": coll.fn_sort,
        "slice": coll.fn_slice,
        "index": coll.fn_index,
        "coalescelist": coll.fn_coalescelist,
        "tolist": coll.fn_tolist,
        "tomap": coll.fn_tomap,
        "chomp": coll.fn_chomp,
        "base64decode": coll.fn_base64decode,
    }
