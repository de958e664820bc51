"""A product's schema and lifecycle blocks -> the model, with file:line errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from meshctl.config.schema import Decoded
from meshctl.documents import BadDocumentError, display_path, read_text
from meshctl.errors import Diagnostics, SourceRange
from meshctl.mesh.contracts import DUPLICATES, ORDERINGS, Delivery, Duration, Percent, Sla
from meshctl.mesh.durations import parse_duration_ms
from meshctl.mesh.model import Lifecycle, SchemaSpec
from meshctl.schemas.diff import COMPATIBILITY_LEVELS, SCHEMA_TYPES, SchemaError, check_schema


def build_schema(s: Decoded, base_dir: Path, kind: str, diags: Diagnostics) -> SchemaSpec | None:
    type_ = str(s.get("type", "AVRO")).upper()
    ok = True
    if type_ not in SCHEMA_TYPES:
        diags.error(
            f"unknown schema type {s.get('type')!r}", s.src_of("type"), hint=f"one of {', '.join(SCHEMA_TYPES)}"
        )
        ok = False
    compatibility = str(s.get("compatibility", "BACKWARD")).upper()
    if compatibility not in COMPATIBILITY_LEVELS:
        diags.error(
            f"unknown compatibility level {s.get('compatibility')!r}",
            s.src_of("compatibility"),
            hint=f"one of {', '.join(COMPATIBILITY_LEVELS)}",
        )
        ok = False
    key_type = str(s.get("key_type", type_)).upper() if s.get("key_file") else None
    if key_type is not None and key_type not in SCHEMA_TYPES:
        diags.error(f"unknown key_type {s.get('key_type')!r}", s.src_of("key_type"), hint=", ".join(SCHEMA_TYPES))
        ok = False
    if kind == "fat_object" and not s.get("key_file"):
        diags.error(
            "a fat_object product needs a key schema",
            s.src,
            detail="a fat object is a compacted topic: the latest value per key, so the key is part of the contract",
            hint='add key_file = "schemas/<entity>-key.avsc" (the entity id)',
        )
        ok = False
    if not ok:
        return None
    text = _read_schema(base_dir, str(s.get("file")), type_, s.src_of("file"), diags)
    key_text = None
    if s.get("key_file"):
        key_text = _read_schema(base_dir, str(s.get("key_file")), key_type or type_, s.src_of("key_file"), diags)
    if text is None or (s.get("key_file") and key_text is None):
        return None
    return SchemaSpec(
        type=type_,
        file=str(s.get("file")),
        text=text,
        compatibility=compatibility,
        key_type=key_type,
        key_file=str(s.get("key_file")) if s.get("key_file") else None,
        key_text=key_text,
    )


def _read_schema(base_dir: Path, name: str, type_: str, src: SourceRange, diags: Diagnostics) -> str | None:
    path = base_dir / name
    try:
        text = read_text(path, name)
    except BadDocumentError as exc:
        diags.error(f"cannot read schema file {name!r}", src, detail=str(exc), hint=exc.hint)
        return None
    except FileNotFoundError:
        diags.error(
            f"no schema file {name!r}",
            src,
            detail=f"looked for {display_path(path)}",
            hint="paths are relative to the mesh directory",
        )
        return None
    except OSError as exc:
        diags.error(f"cannot read schema file {name!r}: {exc.strerror}", src)
        return None
    try:
        check_schema(type_, text)
    except SchemaError as exc:
        where = f"{name}:{exc.line}" if exc.line else name
        diags.error(
            f"invalid {type_} schema in {name}",
            src,
            detail=f"{where}: {exc.message}",
            hint="fix the schema file; `meshctl validate` checks it offline",
        )
        return None
    return text


def build_delivery(d: Decoded | None, diags: Diagnostics) -> Delivery:
    """The `delivery {}` block, typed; a wrong value is reported and left unset."""
    if d is None:
        return Delivery()
    duplicates = _choice(d, "duplicates", DUPLICATES, _DUPLICATES_HINT, diags)
    ordering = _choice(d, "ordering", ORDERINGS, _ORDERING_HINT, diags)
    window = _duration(d, "out_of_order_window", minimum_ms=0, diags=diags)
    set_ = {"duplicates": duplicates, "out_of_order_window": window, "ordering": ordering}
    return Delivery(duplicates, window, ordering, order=_order(d, set_))


def build_sla(d: Decoded | None, diags: Diagnostics) -> Sla:
    """The `sla {}` block, typed; a wrong value is reported and left unset."""
    if d is None:
        return Sla()
    freshness = _duration(d, "freshness", minimum_ms=1, diags=diags)
    availability = _percent(d, "availability", diags)
    max_lag = _whole(d, "max_lag", diags)
    set_ = {"freshness": freshness, "availability": availability, "max_lag": max_lag}
    return Sla(freshness, availability, max_lag, order=_order(d, set_))


_DUPLICATES_HINT = '"tolerated": consumers process idempotently; "not_tolerated": the producer promises exactly once'
_ORDERING_HINT = '"per_key": records of one key arrive in the order written; "none": no promise'


def _order(d: Decoded, set_: Mapping[str, object]) -> tuple[str, ...]:
    """The keys with a valid value, in the order written (`decode` keeps the source order)."""
    return tuple(k for k in d.values if set_.get(k) is not None)


def _choice(d: Decoded, name: str, choices: tuple[str, ...], hint: str, diags: Diagnostics) -> str | None:
    raw = d.get(name)
    if raw is None:
        return None
    if raw not in choices:
        diags.error(
            f"{d.type}.{name} must be one of {', '.join(choices)}", d.src_of(name), detail=f"got {raw!r}", hint=hint
        )
        return None
    return str(raw)


def _duration(d: Decoded, name: str, minimum_ms: int, diags: Diagnostics) -> Duration | None:
    raw = d.get(name)
    if raw is None:
        return None
    text = str(raw)
    try:
        ms = parse_duration_ms(text)
    except ValueError as exc:
        diags.error(f"invalid {d.type}.{name}", d.src_of(name), detail=str(exc))
        return None
    if text.strip().isdigit() and ms != 0:
        # A bare number is milliseconds to parse_duration_ms, a guess nobody should have to make
        # about a promise: "300" may have meant seconds.
        diags.error(
            f"invalid {d.type}.{name}: a duration needs a unit",
            d.src_of(name),
            detail=f"got {text!r}",
            hint=f'write e.g. "{text}s", "{text}ms" or "{text}m"',
        )
        return None
    if ms < minimum_ms:
        diags.error(f"{d.type}.{name} must be more than 0s", d.src_of(name), detail=f"got {raw!r}")
        return None
    return Duration(ms, text)


_PERCENT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%\s*")


def _percent(d: Decoded, name: str, diags: Diagnostics) -> Percent | None:
    raw = d.get(name)
    if raw is None:
        return None
    text = str(raw)
    m = _PERCENT.fullmatch(text)
    if m is None:
        diags.error(
            f"invalid {d.type}.{name}: not a percentage",
            d.src_of(name),
            detail=f"got {text!r}",
            hint='write a percentage with its unit, e.g. "99.9%"',
        )
        return None
    value = float(m.group(1))
    if not 0 < value <= 100:
        diags.error(f"{d.type}.{name} must be more than 0% and at most 100%", d.src_of(name), detail=f"got {text!r}")
        return None
    return Percent(value, text)


def _whole(d: Decoded, name: str, diags: Diagnostics) -> int | None:
    raw = d.get(name)
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int) or raw < 0:
        diags.error(
            f"{d.type}.{name} must be a whole number of records, 0 or more",
            d.src_of(name),
            detail=f"got {raw!r}",
        )
        return None
    return raw


def build_lifecycle(d: Decoded | None, version: int, diags: Diagnostics, block: str = "lifecycle") -> Lifecycle:
    """A product's versioning (`block` names where it is written: `versioning`, or the
    deprecated `lifecycle`); prevent_destroy is the caller's, from `lifecycle`."""
    if d is None:
        return Lifecycle()
    replaces = d.get("replaces")
    if replaces is not None and (not isinstance(replaces, int) or not 1 <= replaces < version):
        diags.error(
            f"{block}.replaces must name an earlier version than {version}",
            d.src_of("replaces"),
            detail=f"got {replaces}",
        )
        replaces = None
    dates: dict[str, date | None] = {}
    for name in ("deprecated", "sunset"):
        raw = d.get(name)
        dates[name] = None
        if raw is None:
            continue
        try:
            dates[name] = date.fromisoformat(str(raw))
        except ValueError:
            diags.error(
                f"{block}.{name} is not a date",
                d.src_of(name),
                detail=f"got {raw!r}",
                hint='write dates as "YYYY-MM-DD"',
            )
    if (dates["deprecated"] or dates["sunset"]) and replaces is None:
        diags.error(f"{block} dates need replaces", d.src, hint="the dates are those of the version this one replaces")
    if dates["deprecated"] and dates["sunset"] and dates["deprecated"] > dates["sunset"]:
        diags.error(f"{block}.deprecated is after sunset", d.src_of("deprecated"))
    return Lifecycle(replaces, dates["deprecated"], dates["sunset"])
