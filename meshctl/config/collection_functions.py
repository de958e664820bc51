"""More of Terraform's collection and string functions, often met in validation conditions and
templates: `alltrue`, `anytrue`, `sum`, `compact`, `reverse`, `sort`, `slice`, `index`,
`coalescelist`, `tolist`, `tomap`, `chomp`, `base64decode`."""

from __future__ import annotations

import base64
import binascii

from meshctl.config.functions_base import FunctionError, type_name, want


def fn_alltrue(v: object) -> bool:
    items = want(v, list, "alltrue's argument")
    return all(_bool(x, "alltrue") for x in items)


def fn_anytrue(v: object) -> bool:
    items = want(v, list, "anytrue's argument")
    return any(_bool(x, "anytrue") for x in items)


def _bool(x: object, fn: str) -> bool:
    if isinstance(x, bool):
        return x
    if x in ("true", "false"):
        return x == "true"
    raise FunctionError(f"{fn}'s elements must be bools, got {type_name(x)}")


def fn_sum(v: object) -> int | float:
    items = want(v, list, "sum's argument")
    if not items:
        raise FunctionError("cannot sum an empty list")
    total: int | float = 0
    for x in items:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise FunctionError(f"sum's elements must be numbers, got {type_name(x)}")
        total += x
    return total


def fn_compact(v: object) -> list[object]:
    return [x for x in want(v, list, "compact's argument") if x not in (None, "")]


def fn_reverse(v: object) -> list[object]:
    return list(reversed(want(v, list, "reverse's argument")))


def fn_sort(v: object) -> list[str]:
    """Terraform's sort: a list of strings in lexicographic order (numbers are compared as strings)."""
    items = want(v, list, "sort's argument")
    out: list[str] = []
    for x in items:
        if isinstance(x, bool) or not isinstance(x, (str, int, float)):
            raise FunctionError(f"sort's elements must be strings, got {type_name(x)}")
        out.append(x if isinstance(x, str) else str(x))
    return sorted(out)


def fn_slice(v: object, start_value: object, end_value: object) -> list[object]:
    items = want(v, list, "slice's list")
    start, end = want(start_value, int, "slice's start"), want(end_value, int, "slice's end")
    if not 0 <= start <= end <= len(items):
        raise FunctionError(f"slice({start}, {end}) is out of range for a list of {len(items)}")
    return items[start:end]


def fn_index(v: object, value: object) -> int:
    items = want(v, list, "index's list")
    if value not in items:
        raise FunctionError("item not found")
    return items.index(value)


def fn_coalescelist(*lists: object) -> list[object]:
    for i, lst in enumerate(lists, 1):
        if want(lst, list, f"coalescelist argument {i}"):
            return lst  # type: ignore[return-value]  # checked a list just above
    raise FunctionError("no non-empty list given")


def fn_tolist(v: object) -> list[object]:
    return want(v, list, "tolist's argument")


def fn_tomap(v: object) -> dict[str, object]:
    return want(v, dict, "tomap's argument")


def fn_chomp(v: object) -> str:
    text = want(v, str, "chomp's argument")
    while text.endswith(("\r\n", "\n")):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    return text


def fn_base64decode(v: object) -> str:
    text = want(v, str, "base64decode's argument")
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise FunctionError("the argument is not valid base64 of UTF-8 text") from None
