"""The schema registry provider: subjects with their latest schema and compatibility."""

from __future__ import annotations

from collections.abc import Callable

from meshctl.plan.model import ResourceChange
from meshctl.providers.base import ChangeResult, Managed
from meshctl.providers.registry.client import RegistryClient
from meshctl.schemas.diff import canonical, incompatible_changes
from meshctl.schemas.model import SchemaError


class RegistryProvider:
    name = "registry"

    def __init__(self, connect: Callable[[], RegistryClient]):
        self._connect = connect
        self._client: RegistryClient | None = None

    @property
    def client(self) -> RegistryClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    @property
    def requests(self) -> int:
        return self._client.requests if self._client else 0

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        if not managed:
            return {}
        existing = self.client.subjects()
        wanted = {str(m.attributes["subject"]): m for m in managed}
        infos = self.client.describe(s for s in wanted if s in existing)
        out: dict[str, dict[str, object]] = {}
        for subject, info in infos.items():
            m = wanted[subject]
            out[m.address] = {
                "subject": subject,
                "schema_type": info.schema_type,
                "schema": _canonical(info.schema_type, info.schema),
                "compatibility": info.compatibility,
            }
        # The rest of the same listing, for the plan's unmanaged section (subjects in managed namespaces).
        out.update({f"schema_subject.{s}": {"subject": s} for s in existing if s not in wanted})
        return out

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        return {f"schema_subject.{s}": {"subject": s} for s in self.client.subjects()}

    def check(self, changes: list[ResourceChange]) -> list[tuple[str, str]]:
        """Plan-time verdicts: each schema change tested by the registry, breaking ones explained
        as (address, why)."""
        problems = []
        for c in changes:
            before, after = c.before or {}, c.after or {}
            if c.actions != ("update",) or before.get("schema") == after.get("schema"):
                continue
            subject, type_ = str(after["subject"]), str(after["schema_type"])
            level = str(after.get("compatibility") or before.get("compatibility"))
            transitive = level.upper().endswith("_TRANSITIVE")
            if self.client.is_compatible(subject, type_, str(after["schema"]), all_versions=transitive):
                continue
            earlier = self.client.versions(subject) if transitive else {0: str(before["schema"])}
            try:
                found = incompatible_changes(type_, earlier, str(after["schema"]), level)
            except SchemaError:  # a live schema does not parse here: the registry's verdict stands alone
                found = []
            reasons = [f"{b.change.describe()} ({b.rule})" for b in found]
            why = "; ".join(reasons) if reasons else f"the registry reports it incompatible under {level}"
            problems.append((c.address, f"subject {subject}: {why}"))
        return problems

    def delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        results = []
        for c in changes:
            error = self.client.delete(str((c.before or {})["subject"]))
            results.append(ChangeResult(c.address, error or "", None))
        return results

    def apply(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        results = []
        for c in changes:
            before, after = c.before or {}, c.after or {}
            subject = str(after["subject"])
            error = None
            if before.get("compatibility") != after["compatibility"]:
                error = self.client.set_compatibility(subject, str(after["compatibility"]))
            if error is None and before.get("schema") != after["schema"]:
                error = self.client.register(subject, str(after["schema_type"]), str(after["schema"]))
            results.append(ChangeResult(c.address, error or "", None if error else dict(after)))
        return results


def _canonical(schema_type: str, text: str) -> str:
    """The live schema in canonical form; as it is when this meshctl cannot read it (the plan
    then shows it replaced rather than failing)."""
    try:
        return canonical(schema_type, text)
    except SchemaError:
        return text
