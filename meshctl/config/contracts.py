"""A product's schema and lifecycle blocks -> the model, with file:line errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from meshctl.config.schema import Decoded
from meshctl.documents import BadDocumentError, display_path, read_text
from meshctl.errors import Diagnostics, SourceRange
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


# What a consumer must expect from a product's delivery: duplicates are the happy path's default.
DUPLICATES = ("tolerated", "not_tolerated")


def build_delivery(d: Decoded | None, diags: Diagnostics) -> dict[str, object]:
    if d is None:
        return {}
    duplicates = d.get("duplicates")
    if duplicates is not None and duplicates not in DUPLICATES:
        diags.error(
            f"delivery.duplicates must be one of {', '.join(DUPLICATES)}",
            d.src_of("duplicates"),
            detail=f"got {duplicates!r}",
            hint='"tolerated": consumers process idempotently; "not_tolerated": the producer promises exactly once',
        )
    _check_duration(d, "out_of_order_window", minimum_ms=0, diags=diags)
    return dict(d.values)


def build_sla(d: Decoded | None, diags: Diagnostics) -> dict[str, object]:
    if d is None:
        return {}
    _check_duration(d, "freshness", minimum_ms=1, diags=diags)
    return dict(d.values)


def _check_duration(d: Decoded, name: str, minimum_ms: int, diags: Diagnostics) -> None:
    raw = d.get(name)
    if raw is None:
        return
    try:
        ms = parse_duration_ms(str(raw))
    except ValueError as exc:
        diags.error(f"invalid {d.type}.{name}", d.src_of(name), detail=str(exc))
        return
    if ms < minimum_ms:
        diags.error(f"{d.type}.{name} must be more than 0s", d.src_of(name), detail=f"got {raw!r}")


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
