"""Saved plans: `plan --out FILE` and `apply FILE`.

A saved plan is the JSON plan plus what apply needs to refuse a stale one: the state's
lineage and serial, and a fingerprint of the configuration (each file's hash and a hash
of the resources it compiles to, which also covers variables).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from meshctl import __version__
from meshctl.errors import MeshError
from meshctl.plan.model import Plan, ResourceChange
from meshctl.resources import Resource
from meshctl.state.local import atomic_write

KIND = "meshctl-saved-plan"


@dataclass(frozen=True)
class Fingerprint:
    files: Mapping[str, str]  # file name -> sha256
    resources: str  # sha256 of the compiled desired resources

    def to_json(self) -> dict[str, object]:
        return {"files": dict(self.files), "resources": self.resources}

    def differences(self, now: Fingerprint) -> list[str]:
        changed = []
        for name in sorted(set(self.files) | set(now.files)):
            if name not in now.files:
                changed.append(f"{name} was removed")
            elif name not in self.files:
                changed.append(f"{name} was added")
            elif self.files[name] != now.files[name]:
                changed.append(f"{name} changed")
        if not changed and self.resources != now.resources:
            changed.append("variables or the environment give different resources")
        return changed


def fingerprint(files: Mapping[str, str], desired: list[Resource]) -> Fingerprint:
    digest = hashlib.sha256()
    for r in sorted(desired, key=lambda r: r.address):
        digest.update(json.dumps([r.address, r.attributes, r.source, r.depends_on, r.domain], sort_keys=True).encode())
    return Fingerprint(
        {name: hashlib.sha256(text.encode()).hexdigest() for name, text in sorted(files.items())},
        digest.hexdigest(),
    )


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    fingerprint: Fingerprint
    directory: Path
    options: Mapping[str, object]


def save(path: Path, doc: dict[str, object], fp: Fingerprint, directory: Path, options: Mapping[str, object]) -> None:
    saved = {
        **doc,
        "meshctl_saved_plan": {
            "kind": KIND,
            "meshctl_version": __version__,
            "directory": str(directory.resolve()),
            "fingerprint": fp.to_json(),
            "options": dict(options),
        },
    }
    atomic_write(path, json.dumps(saved, indent=2) + "\n", 0o600)


def load(path: Path) -> SavedPlan:
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise MeshError(f"cannot read the plan file {path}: {exc.strerror}") from None
    except json.JSONDecodeError:
        raise MeshError(f"{path} is not a saved plan (not JSON)") from None
    meta = doc.get("meshctl_saved_plan") if isinstance(doc, dict) else None
    if not isinstance(meta, dict) or meta.get("kind") != KIND:
        raise MeshError(f"{path} is not a meshctl saved plan: write one with `meshctl plan --out {path}`")
    if meta.get("meshctl_version") != __version__:
        raise MeshError(f"{path} was made by meshctl {meta.get('meshctl_version')}, this is {__version__}: plan again")
    fp = meta["fingerprint"]
    return SavedPlan(
        plan_from_json(doc), Fingerprint(fp["files"], fp["resources"]), Path(meta["directory"]), meta.get("options", {})
    )


def plan_from_json(doc: Mapping[str, object]) -> Plan:
    """The inverse of render.jsonplan.plan_to_json."""
    prior = doc["prior_state"]
    plan = Plan(
        state_serial=int(prior["serial"]),  # type: ignore[index]
        state_lineage=str(prior["lineage"]),  # type: ignore[index]
        forgotten=list(prior.get("forgotten", [])),  # type: ignore[union-attr]
        migrations=list(doc.get("migrations", [])),  # type: ignore[call-overload]
    )
    for rc in doc["resource_changes"]:  # type: ignore[attr-defined]
        extra = rc["meshctl"]
        plan.changes.append(
            ResourceChange(
                address=rc["address"],
                type=rc["type"],
                name=rc["name"],
                source=extra["source"],
                actions=tuple(rc["change"]["actions"]),
                before=rc["change"]["before"],
                after=rc["change"]["after"],
                depends_on=tuple(extra.get("depends_on", ())),
                reason=extra.get("reason", ""),
                blocked=extra.get("blocked", ""),
                domain=extra.get("domain", ""),
                retire=bool(extra.get("retire", False)),
                module=rc.get("module_address", ""),
            )
        )
    return plan
