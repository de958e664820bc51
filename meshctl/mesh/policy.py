"""Policies inherited down the domain tree: a child may tighten, not loosen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from meshctl.errors import SourceRange
from meshctl.mesh.model import Mesh, Policy

# A setting is a whole number (the min_* and max_* ones) or a list of names (the allowed_* ones).
SettingValue = int | tuple[str, ...]


def _number(value: SettingValue) -> int:
    if isinstance(value, tuple):
        raise TypeError(f"policy setting {value!r} is a list, not a number")
    return value


def _names(value: SettingValue) -> tuple[str, ...]:
    if not isinstance(value, tuple):
        raise TypeError(f"policy setting {value!r} is a number, not a list")
    return value


@dataclass(frozen=True)
class Setting:
    """One policy setting in force for a domain, and the domain that set it."""

    value: SettingValue
    domain: str
    src: SourceRange | None

    @property
    def number(self) -> int:
        """The value of a numeric setting (min_replication_factor, max_retention_ms, ...)."""
        return _number(self.value)

    @property
    def names(self) -> tuple[str, ...]:
        """The value of a list setting (allowed_kinds, allowed_vendors)."""
        return _names(self.value)


def _tighter_min(a: SettingValue, b: SettingValue) -> bool:
    return _number(a) >= _number(b)


def _tighter_max(a: SettingValue, b: SettingValue) -> bool:
    return _number(a) <= _number(b)


def _tighter_subset(a: SettingValue, b: SettingValue) -> bool:
    return set(_names(a)) <= set(_names(b))


def _tighter_superset(a: SettingValue, b: SettingValue) -> bool:
    return set(_names(a)) >= set(_names(b))


# setting name -> "is value a at least as tight as b?"
RULES: dict[str, Callable[[SettingValue, SettingValue], bool]] = {
    "min_replication_factor": _tighter_min,
    "min_insync_replicas": _tighter_min,
    "max_partitions": _tighter_max,
    "max_retention_ms": _tighter_max,
    "allowed_kinds": _tighter_subset,
    "allowed_vendors": _tighter_subset,
    "max_copies": _tighter_max,
    "require_approval": _tighter_superset,  # requiring more approvals is tighter
}

# How the user wrote each setting (max_retention_ms comes from max_retention).
SOURCE_NAME = {"max_retention_ms": "max_retention"}


def own_settings(policy: Policy) -> dict[str, SettingValue]:
    values: dict[str, SettingValue | None] = {
        "min_replication_factor": policy.min_replication_factor,
        "min_insync_replicas": policy.min_insync_replicas,
        "max_partitions": policy.max_partitions,
        "max_retention_ms": policy.max_retention_ms,
        "allowed_kinds": policy.allowed_kinds,
        "allowed_vendors": policy.allowed_vendors,
        "max_copies": policy.max_copies,
        "require_approval": policy.require_approval,
    }
    return {name: value for name, value in values.items() if value is not None}


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


def policies(mesh: Mesh) -> Callable[[str], dict[str, Setting]]:
    """`effective_policy` of each domain, worked out once: for one pass over a mesh that does not
    change while it runs (validating or compiling 10,000 products of a few hundred domains). The
    dicts it gives are shared: read them, never change them."""
    found: dict[str, dict[str, Setting]] = {}

    def of(domain: str) -> dict[str, Setting]:
        policy = found.get(domain)
        if policy is None:
            policy = found[domain] = effective_policy(mesh, domain)
        return policy

    return of


def _overridable(mesh: Mesh, domain: str) -> bool:
    return mesh.domains[domain].policy.allow_override


def loosened(mesh: Mesh, domain: str) -> list[tuple[str, SettingValue, Setting]]:
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
