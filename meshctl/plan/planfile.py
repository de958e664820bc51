"""Saved plans: `plan --out FILE` and `apply FILE`.

A saved plan is the JSON plan plus what apply needs to refuse a stale one: the state's
lineage and serial, a fingerprint of the configuration (each file's hash and a hash
of the resources it compiles to, which also covers variables), and the variables' values,
so `apply FILE` needs no flags. Sensitive values are never stored: only their names, so
apply can ask for them again.

Like `plan --json`, it leaves out the unchanged resources apply does not read (plan.unchanged)
unless made with `--full`: it is checked against the state's serial and lineage, so apply
reads the same of it as of the full plan.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from meshctl import __version__
from meshctl.documents import BadDocumentError, atomic_write, read_json
from meshctl.errors import MeshError
from meshctl.plan.jsonformat import FORMAT_VERSION, PlanDoc, plan_from_json
from meshctl.plan.model import Plan
from meshctl.resources import Resource

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
    variables: Mapping[str, object] = field(default_factory=dict)  # non-sensitive values it was made with
    sensitive: frozenset[str] = frozenset()  # names whose values are not stored
    environment: str | None = None  # the environment it was made for (None: a mesh without environments)


def save(
    path: Path,
    doc: PlanDoc,
    fp: Fingerprint,
    directory: Path,
    options: Mapping[str, object],
    variables: Mapping[str, object] | None = None,
    sensitive: frozenset[str] = frozenset(),
    environment: str | None = None,
) -> None:
    """`variables` must hold no sensitive value: callers pass those names in `sensitive` only."""
    saved = {
        **doc,
        "meshctl_saved_plan": {
            "kind": KIND,
            "meshctl_version": __version__,
            "directory": str(directory.resolve()),
            "fingerprint": fp.to_json(),
            "options": dict(options),
            "variables": dict(variables or {}),
            "sensitive_variables": sorted(sensitive),
            "plan_sha256": _plan_digest(doc),
            # Only a plan made for an environment says which: plans of other meshes stay as they were.
            **({"environment": environment} if environment is not None else {}),
        },
    }
    # Compact: a file for `apply FILE`, not for reading (`plan --json` prints the same plan indented).
    atomic_write(path, json.dumps(saved, separators=(",", ":")) + "\n", 0o600)


def _plan_digest(doc: Mapping[str, object]) -> str:
    """A digest of the plan proper, so a file edited after `plan --out` is refused before anything
    reads its changes (the fingerprint covers the configuration, not the plan)."""
    plan = {k: v for k, v in doc.items() if k != "meshctl_saved_plan"}
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def load(path: Path) -> SavedPlan:
    try:
        doc = read_json(path)
    except OSError as exc:
        raise MeshError(f"cannot read the plan file {path}: {exc.strerror}") from None
    except BadDocumentError as exc:
        raise BadDocumentError(
            exc.name, f"not a saved plan: {exc.summary}", exc.line, hint="apply takes a directory or a plan --out file"
        ) from None
    data = doc.value if isinstance(doc.value, dict) else {}
    meta = data.get("meshctl_saved_plan")
    if not isinstance(meta, dict) or meta.get("kind") != KIND:
        raise MeshError(f"{path} is not a meshctl saved plan: write one with `meshctl plan --out {path}`")
    if data.get("format_version") != FORMAT_VERSION:
        raise MeshError(
            f"{path} is in plan format {data.get('format_version')!r}; this meshctl reads {FORMAT_VERSION!r}: "
            "plan again"
        )
    if meta.get("meshctl_version") != __version__:
        raise MeshError(f"{path} was made by meshctl {meta.get('meshctl_version')}, this is {__version__}: plan again")
    saved = doc.member("meshctl_saved_plan")
    fp = saved.member("fingerprint")
    plan = plan_from_json(data, str(path))
    if saved.get("plan_sha256", str, "") != _plan_digest(data):
        raise MeshError(f"{path} was changed after `meshctl plan --out` wrote it: plan again")
    return SavedPlan(
        plan,
        Fingerprint(fp.get("files", dict), fp.get("resources", str)),
        Path(saved.get("directory", str)),
        saved.get("options", dict, {}),
        saved.get("variables", dict, {}),
        frozenset(str(n) for n in saved.get("sensitive_variables", list, [])),
        saved.optional("environment", str),
    )
