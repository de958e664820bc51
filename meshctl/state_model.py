"""The state model: what meshctl manages and last saw, a versioned document with a serial and a
lineage. Pure data, below the plan that reads it; `meshctl.state` holds the backends that store it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl import __version__
from meshctl.address import Address, outside_modules, recorded
from meshctl.documents import BadDocumentError, JsonValue
from meshctl.errors import MeshError
from meshctl.resources import RESOURCE_TYPES

STATE_VERSION = 1

# Compact (no indentation, no spaces): at 25,000 resources the indented file was 14.7 MB and
# took ~0.35 s of CPU to encode; compact is 10.1 MB. ASCII-only, as the state always was.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


@dataclass(frozen=True)
class ResourceState:
    type: str
    name: str
    attributes: Mapping[str, object]
    source: str
    depends_on: tuple[str, ...] = ()
    domain: str = ""
    module: str = ""
    # `file.hcl:12` of a `prevent_destroy = true` when last applied: it keeps protecting the
    # object after its block is removed, until an apply records the protection lifted.
    protected_at: str = ""

    # Derived once, when made: the address as a value and as the text state and plans key by.
    addr: Address = field(init=False, repr=False, compare=False)
    address: str = field(init=False, repr=False, compare=False)
    # Its line of the state file, encoded on the first write and reused by every later one: a
    # record is never changed in place (apply records a new one), so the line stays true.
    _line: str = field(init=False, default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        addr, text = recorded(self.type, self.name, self.module)  # ValueError if no address can hold them
        object.__setattr__(self, "addr", addr)
        object.__setattr__(self, "address", text)

    def json_line(self) -> str:
        """`to_json()` encoded compactly on one line, as the state file holds it."""
        if not self._line:
            object.__setattr__(self, "_line", _ENCODER.encode(self.to_json()))
        return self._line

    def to_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "type": self.type,
            "name": self.name,
            "source": self.source,
            "depends_on": list(self.depends_on),
            "domain": self.domain,
            "module": self.module,
            **({"prevent_destroy": self.protected_at} if self.protected_at else {}),
            "attributes": dict(self.attributes),
        }


@dataclass
class State:
    lineage: str = ""  # given on the first write, so plans of a state never written agree
    serial: int = 0
    resources: dict[str, ResourceState] = field(default_factory=dict)
    retired: dict[str, str] = field(default_factory=dict)  # topic name -> date retired: never reused

    def to_json(self) -> dict[str, object]:
        if not self.lineage:
            self.lineage = str(uuid.uuid4())
        return {
            "version": STATE_VERSION,
            "meshctl_version": __version__,
            "serial": self.serial,
            "lineage": self.lineage,
            "resources": [self.resources[a].to_json() for a in sorted(self.resources)],
            "retired": dict(sorted(self.retired.items())),
        }

    def to_text(self) -> str:
        """The state file: `to_json()` as compact JSON with one resource per line, so a diff of two
        states names the resources that changed. Each resource's line is encoded once per process
        (ResourceState.json_line): a write during apply re-encodes only what that apply recorded.
        Any JSON reads back (from_json), the indented files of earlier meshctl versions included."""
        if not self.lineage:
            self.lineage = str(uuid.uuid4())
        head = _ENCODER.encode(
            {"version": STATE_VERSION, "meshctl_version": __version__, "serial": self.serial, "lineage": self.lineage}
        )
        lines = [self.resources[a].json_line() for a in sorted(self.resources)]
        resources = "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"
        retired = _ENCODER.encode(dict(sorted(self.retired.items())))
        return f'{head[:-1]},\n"resources":{resources},\n"retired":{retired}}}\n'

    @classmethod
    def from_json(cls, data: object, where: str) -> State:
        doc = JsonValue(data, where)
        if not isinstance(data, dict) or "version" not in data:
            raise BadDocumentError(where, "not a meshctl state file (no version)")
        version = doc.get("version", int)
        if version > STATE_VERSION:
            raise MeshError(
                f"{where} was written by a newer meshctl (state version {version}; "
                f"this meshctl {__version__} reads up to {STATE_VERSION}); upgrade meshctl"
            )
        if version < 1:
            raise BadDocumentError(where, f"unknown state version {version}")
        state = cls(lineage=doc.get("lineage", str), serial=doc.get("serial", int))
        for i, raw in enumerate(doc.get("resources", list, [])):
            # A record of the expected shape is read at once; any other is read member by member,
            # which names what is wrong (25,000 records: 0.25 s member by member, 0.1 s at once).
            rs = _resource(raw) or _checked_resource(JsonValue(raw, where, f"resources[{i}]"))
            state.resources[rs.address] = rs
        state.retired = {
            k: JsonValue(v, where, f"retired.{k}").expect(str) for k, v in doc.get("retired", dict, {}).items()
        }
        return state


def _resource(raw: object) -> ResourceState | None:
    """A state record whose every member has the type it should, else None."""
    if type(raw) is not dict:
        return None
    type_, name, attributes = raw.get("type"), raw.get("name"), raw.get("attributes")
    source, depends_on = raw.get("source", ""), raw.get("depends_on", [])
    domain, module, protected_at = raw.get("domain", ""), raw.get("module", ""), raw.get("prevent_destroy", "")
    if not (
        type(type_) is str
        and type_ in RESOURCE_TYPES
        and type(name) is str
        and type(attributes) is dict
        and type(source) is str
        and type(depends_on) is list
        and type(domain) is str
        and type(module) is str
        and type(protected_at) is str
    ):
        return None
    try:
        return ResourceState(type_, name, attributes, source, tuple(depends_on), domain, module, protected_at)
    except ValueError:
        return None


def _checked_resource(r: JsonValue) -> ResourceState:
    """A state record read member by member: one whose shape is wrong raises BadDocumentError naming it."""
    type_ = r.get("type", str)
    if type_ not in RESOURCE_TYPES:
        raise BadDocumentError(r.file, f"{r.path}.type: unknown resource type {type_!r}")
    try:
        return ResourceState(
            type_,
            r.get("name", str),
            r.get("attributes", dict),
            r.get("source", str, ""),
            tuple(r.get("depends_on", list, [])),
            r.get("domain", str, ""),
            r.get("module", str, ""),
            r.get("prevent_destroy", str, ""),
        )
    except ValueError as exc:  # a module or name no address can hold (AddressError says which)
        raise BadDocumentError(r.file, f"{r.path}: {exc}") from None


def frozen_topics(state: State) -> set[str]:
    """Topics whose owner ACL state recorded without WRITE: frozen by an earlier apply."""
    out = set()
    for rs in state.resources.values():
        attrs: Mapping[str, object] = rs.attributes
        operations = attrs.get("operations")
        if (
            rs.type == "kafka_acl"
            and attrs.get("resource_type") == "TOPIC"
            and outside_modules(rs.source).startswith("data_product.")
            and not (isinstance(operations, list) and "WRITE" in operations)
        ):
            out.add(str(attrs["resource_name"]))
    return out
