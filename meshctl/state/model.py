"""What meshctl manages and last saw: a versioned document with a serial and a lineage."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl import __version__
from meshctl.errors import MeshError

STATE_VERSION = 1


@dataclass(frozen=True)
class ResourceState:
    type: str
    name: str
    attributes: Mapping[str, object]
    source: str
    depends_on: tuple[str, ...] = ()
    domain: str = ""
    module: str = ""

    @property
    def address(self) -> str:
        return f"{self.module}.{self.type}.{self.name}" if self.module else f"{self.type}.{self.name}"

    def to_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "type": self.type,
            "name": self.name,
            "source": self.source,
            "depends_on": list(self.depends_on),
            "domain": self.domain,
            "module": self.module,
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

    @classmethod
    def from_json(cls, data: Mapping[str, object], where: str) -> State:
        version = data.get("version")
        if not isinstance(version, int):
            raise MeshError(f"{where} is not a meshctl state file (no version)")
        if version > STATE_VERSION:
            raise MeshError(
                f"{where} was written by a newer meshctl (state version {version}; "
                f"this meshctl {__version__} reads up to {STATE_VERSION}); upgrade meshctl"
            )
        state = cls(lineage=str(data["lineage"]), serial=int(data["serial"]))  # type: ignore[call-overload]
        for r in data.get("resources", []):  # type: ignore[attr-defined]
            rs = ResourceState(
                r["type"],
                r["name"],
                r["attributes"],
                r.get("source", ""),
                tuple(r.get("depends_on", ())),
                r.get("domain", ""),
                r.get("module", ""),
            )
            state.resources[rs.address] = rs
        state.retired = dict(data.get("retired", {}))  # type: ignore[call-overload]
        return state
