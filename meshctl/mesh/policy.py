"""Policies inherited down the domain tree: a child may tighten, not loosen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from meshctl.errors import SourceRange
from meshctl.mesh.model import Mesh, Policy


@dataclass(frozen=True)
class Setting:
    """One policy setting in force for a domain, and the domain that set it."""

    value: object
    domain: str
    src: SourceRange | None


def _tighter_min(a: object, b: object) -> bool:
    return a >= b  # type: ignore[operator]


def _tighter_max(a: object, b: object) -> bool:
    return a <= b  # type: ignore[operator]


def _tighter_subset(a: object, b: object) -> bool:
    return set(a) <= set(b)  # type: ignore[call-overload]


# setting name -> (attribute of Policy, "is value a at least as tight as b?")
RULES: dict[str, Callable[[object, object], bool]] = {
    "min_replication_factor": _tighter_min,
    "min_insync_replicas": _tighter_min,
    "max_partitions": _tighter_max,
    "max_retention_ms": _tighter_max,
    "allowed_kinds": _tighter_subset,
    "allowed_vendors": _tighter_subset,
}

# How the user wrote each setting (max_retention_ms comes from max_retention).
SOURCE_NAME = {"max_retention_ms": "max_retention"}


def own_settings(policy: Policy) -> dict[str, object]:
    return {name: getattr(policy, name) for name in RULES if getattr(policy, name) is not None}


def setting_src(policy: Policy, name: str) -> SourceRange | None:
    return policy.srcs.get(SOURCE_NAME.get(name, name)) or policy.srcs.get("__block__")


def effective_policy(mesh: Mesh, domain: str) -> dict[str, Setting]:
    """The tightest value of each setting along the path from the root to `domain`."""
    chain = [mesh.domains[domain], *mesh.ancestors(domain)] if domain in mesh.domains else []
    out: dict[str, Setting] = {}
    for d in reversed(chain):  # root first, so the nearest tighter value wins
        for name, value in own_settings(d.policy).items():
            current = out.get(name)
            if current is None or RULES[name](value, current.value) or _overridable(mesh, current.domain):
                out[name] = Setting(value, d.name, setting_src(d.policy, name))
    return out


def _overridable(mesh: Mesh, domain: str) -> bool:
    return mesh.domains[domain].policy.allow_override


def loosened(mesh: Mesh, domain: str) -> list[tuple[str, object, Setting]]:
    """Settings of `domain` that loosen one inherited from an ancestor that forbids it."""
    d = mesh.domains[domain]
    found = []
    for name, value in own_settings(d.policy).items():
        for ancestor in mesh.ancestors(domain):
            theirs = own_settings(ancestor.policy).get(name)
            if theirs is None:
                continue
            if not RULES[name](value, theirs) and not ancestor.policy.allow_override:
                found.append((name, value, Setting(theirs, ancestor.name, setting_src(ancestor.policy, name))))
            break  # the nearest ancestor that sets it decides
    return found
