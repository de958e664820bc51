"""The schema registry provider: subjects with their latest schema and compatibility."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from meshctl.address import Address
from meshctl.plan.model import ResourceChange
from meshctl.plan.observed import SchemaCandidate, SchemaVerdict
from meshctl.providers.base import ChangeResult, JudgesSchemaCompatibility, Managed
from meshctl.providers.registry.client import RegistryClient
from meshctl.schemas.diff import canonical
from meshctl.schemas.model import SchemaError

_PARALLEL = 8


def _address(subject: str) -> str:
    """A live subject's address; a subject may hold any character (a name is free text)."""
    return str(Address.of("schema_subject", subject))


class RegistryProvider(JudgesSchemaCompatibility):
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
        out.update({_address(s): {"subject": s} for s in existing if s not in wanted})
        return out

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        return {_address(s): {"subject": s} for s in self.client.subjects()}

    def judge_schemas(self, candidates: list[SchemaCandidate]) -> dict[SchemaCandidate, SchemaVerdict]:
        """The registry's verdict on each schema a plan would register, asked in parallel: next to
        the latest version, or every version for a *_TRANSITIVE level (a registry checks only the
        version it is asked about). For a transitive level that breaks, every registered version
        is read too: the planner explains the break against the version it breaks."""
        if not candidates:
            return {}
        client = self.client

        def judge(c: SchemaCandidate) -> tuple[SchemaCandidate, SchemaVerdict]:
            if client.is_compatible(c.subject, c.schema_type, c.schema, all_versions=c.transitive):
                return c, SchemaVerdict(True)
            return c, SchemaVerdict(False, client.versions(c.subject) if c.transitive else {})

        with ThreadPoolExecutor(max_workers=min(_PARALLEL, len(candidates))) as pool:
            return dict(pool.map(judge, candidates))

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
