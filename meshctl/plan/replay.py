"""What `meshctl replay` may copy, and from where: pure.

Replay backfills a product version from another version of the same product (a v2 from v1's
history), records unchanged: key, value, headers and timestamps. The records keep the schema
ids they were written with, so a reader of the target's schema must be able to read the
source's data (Avro: the reader/writer rules; JSON Schema and Protobuf: the same schema). A
breaking v2 is backfilled by its producer, which alone knows how to translate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from meshctl.errors import MeshError
from meshctl.mesh.lifecycle import stages
from meshctl.mesh.model import Copy, DataProduct, Mesh, SchemaSpec
from meshctl.naming import copy_connector_name
from meshctl.schemas.avro import unreadable
from meshctl.schemas.diff import SchemaError, canonical

Partition = int


def _error(summary: str, detail: str = "", hint: str | None = None) -> MeshError:
    """One message, with the lines `meshctl` prints under a configuration error."""
    text = summary + (f"\n  {detail}" if detail else "") + (f"\n  hint: {hint}" if hint else "")
    return MeshError(text)


_VERSION_RE = re.compile(r"^(?:data_product\.)?(?P<key>[a-z0-9_-]+(?:\.[a-z0-9_-]+)+)\.v(?P<version>[0-9]+)$")


@dataclass(frozen=True)
class ReplayPair:
    source: DataProduct
    target: DataProduct
    source_topic: str
    target_topic: str
    cluster: str


@dataclass(frozen=True)
class CopyReplay:
    """A copy filled again by its own MirrorMaker 2 connector, rewound to chosen offsets."""

    copy: Copy
    source: DataProduct
    source_topic: str
    copy_topic: str
    connector: str
    cluster: str


def find_copy(mesh: Mesh, target_ref: str) -> Copy | None:
    """The copy `<copying domain>.<name>.v<N>` names, if it names one (a product's name wins)."""
    key, version = parse_version_ref(target_ref)
    if mesh.product(key, version) is not None:
        return None
    return next((c for c in mesh.copies if c.key == key and c.version == version), None)


def resolve_copy(mesh: Mesh, source_ref: str, copy: Copy) -> CopyReplay:
    key, version = parse_version_ref(source_ref)
    if (key, version) != (copy.product, copy.version):
        raise _error(
            f"the copy {copy.key}.v{copy.version} copies {copy.product}.v{copy.version}, not {source_ref}",
            hint=f"replay a copy from its own source: --source {copy.product}.v{copy.version}",
        )
    source = mesh.product(copy.product, copy.version)
    if source is None:  # validation refuses such a copy; kept for a clear message
        raise _error(
            f"the copy {copy.key}.v{copy.version} copies {copy.product}.v{copy.version}, which is not declared"
        )
    topic = mesh.copy_topic(copy)
    return CopyReplay(
        copy, source, mesh.topic_name(source), topic, copy_connector_name(topic), mesh.product_cluster(source)
    )


def parse_version_ref(text: str) -> tuple[str, int]:
    """`sales.orders.v1` or `data_product.sales.orders.v1` -> ("sales.orders", 1)."""
    m = _VERSION_RE.match(text.strip())
    if not m:
        raise _error(
            f"{text!r} names no product version",
            hint="write <domain>.<product>.v<N>, as access blocks name products: e.g. sales.orders.v1",
        )
    return m["key"], int(m["version"])


def resolve_pair(mesh: Mesh, source_ref: str, target_ref: str, today: date, frozen_topics: set[str]) -> ReplayPair:
    source = _version(mesh, source_ref, "source")
    target = _version(mesh, target_ref, "target")
    if source.address == target.address:
        raise _error(f"replay {source_ref} into itself: the source and the target are the same version")
    if source.key != target.key:
        raise _error(
            f"replay from {source_ref} into {target_ref}: they are versions of different products",
            hint="a version is backfilled from another version of the same product; only its domain writes it",
        )
    if mesh.product_cluster(source) != mesh.product_cluster(target):
        raise _error(f"replay from {source_ref} into {target_ref}: the two versions live on different clusters")
    stage = stages(mesh, today, frozen_topics)[target.address]
    if not stage.writable:
        raise _error(
            f"replay into {target_ref}: the version is {stage.stage}: it takes no more writes",
            hint="replay into a live version",
        )
    problem = schema_problem(source.schema, target.schema)
    if problem:
        raise _error(
            f"replay from {source_ref} into {target_ref}: readers of the target cannot read the source's records",
            detail=problem,
            hint="the records are copied unchanged, with the schema ids they were written with; a breaking new "
            "version is backfilled by its producer, which translates each record",
        )
    return ReplayPair(source, target, mesh.topic_name(source), mesh.topic_name(target), mesh.product_cluster(source))


def _version(mesh: Mesh, ref: str, role: str) -> DataProduct:
    key, version = parse_version_ref(ref)
    product = mesh.product(key, version)
    if product is None:
        versions = [f"{p.key}.v{p.version}" for p in mesh.versions(key)]
        known = f"; declared: {', '.join(versions)}" if versions else ""
        raise _error(f"the {role} {ref} is not a product version of this mesh{known}")
    return product


def schema_problem(source: SchemaSpec | None, target: SchemaSpec | None) -> str | None:
    """Why a reader of the target's schemas could not read records written with the source's,
    or None. Value and key schemas both count."""
    if source is None or target is None:
        return None if source is target else "one version has a schema and the other has none"
    value = _unreadable(source.type, source.text, target.type, target.text, "value")
    if value:
        return value
    if source.key_text is None or target.key_text is None:
        return None if source.key_text is target.key_text else "one version has a key schema and the other has none"
    return _unreadable(
        source.key_type or source.type, source.key_text, target.key_type or target.type, target.key_text, "key"
    )


def _unreadable(writer_type: str, writer: str, reader_type: str, reader: str, part: str) -> str | None:
    if writer_type != reader_type:
        return f"the {part} schema changes type ({writer_type} -> {reader_type})"
    if writer_type == "AVRO":
        why = unreadable(reader, writer)
        return f"{part} schema: {why}" if why else None
    try:
        same = canonical(writer_type, writer) == canonical(reader_type, reader)
    except SchemaError as exc:  # validated when loaded; kept for safety
        return f"{part} schema: {exc.message}"
    return None if same else f"the {part} schemas ({writer_type}) differ: only identical schemas are replayed"


@dataclass(frozen=True)
class Bounds:
    """Where each source partition's records start and end (the end is exclusive)."""

    low: int
    high: int


def start_offsets(
    bounds: Mapping[Partition, Bounds],
    *,
    offsets: Mapping[Partition, int] | None = None,
    by_time: Mapping[Partition, int | None] | None = None,
) -> dict[Partition, int]:
    """The first offset to copy per partition: given offsets (clamped to what the log still
    holds), the first offset at or after a timestamp (`by_time`: None = no record that late),
    or every record still held."""
    out: dict[Partition, int] = {}
    if offsets is not None:
        unknown = sorted(set(offsets) - set(bounds))
        if unknown:
            raise _error(
                f"--offsets names partition {unknown[0]}, which the source does not have",
                hint=f"partitions: 0-{max(bounds)}" if bounds else None,
            )
    for p, b in sorted(bounds.items()):
        if offsets is not None:
            out[p] = min(max(offsets.get(p, b.high), b.low), b.high)
        elif by_time is not None:
            found = by_time.get(p)
            out[p] = b.high if found is None or found < 0 else min(max(found, b.low), b.high)
        else:
            out[p] = b.low
    return out


def parse_offsets(text: str) -> dict[Partition, int]:
    """`0:120,1:98` -> {0: 120, 1: 98}; a partition left out is not replayed."""
    out: dict[Partition, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"([0-9]+):([0-9]+)", part)
        if not m:
            raise _error(f"--offsets {text!r}: {part!r} is not PARTITION:OFFSET", hint="e.g. --offsets 0:120,1:98")
        if int(m[1]) in out:
            raise _error(f"--offsets {text!r}: partition {m[1]} is named twice")
        out[int(m[1])] = int(m[2])
    if not out:
        raise _error("--offsets names no partition", hint="e.g. --offsets 0:120,1:98")
    return out


def resume_offsets(next_offsets: Mapping[Partition, int]) -> str:
    """The `--offsets` value that resumes a replay where it stopped."""
    return ",".join(f"{p}:{o}" for p, o in sorted(next_offsets.items()))
