"""The Kafka Connect provider: connectors planned and applied through the worker's REST API.

Refresh reads every connector's configuration and status in one request
(`GET /connectors?expand=info&expand=status`). A connector's clients authenticate as its
principal: apply adds the settings for it (connectors.client_overrides), which reference the
password through the worker's FileConfigProvider; refresh takes them out again and masks any
literal secret, so neither state, a plan nor drift shows one.

Where the worker reads the password: `<credentials_dir>/<user>.properties`, the format of
meshctl's local credential store (so, by default, that store's own folder when the worker
runs beside meshctl). With `credentials_mount` (a folder meshctl can write that the worker
reads as `credentials_dir`: the sandbox's) apply writes the file there first; otherwise a
secrets mount fed from the principal's secret puts it there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshctl.address import Address
from meshctl.connectors import client_overrides, credentials_file, is_mirror, live_view, user_of
from meshctl.credentials import CredentialStore
from meshctl.documents import atomic_write
from meshctl.errors import MeshError
from meshctl.plan.model import ResourceChange
from meshctl.providers.base import ChangeResult, Managed
from meshctl.providers.connect.client import ConnectClient, ConnectError

TYPE = "kafka_connector"
# Live states that are on their way somewhere: not drift.
_TRANSIENT = frozenset({"UNASSIGNED", "RESTARTING"})
_SETTLE_SECONDS = 20.0
_TRACE_CHARS = 300


@dataclass(frozen=True)
class ConnectSettings:
    credentials_dir: str | None = None  # the folder on the worker; None: not configured
    credentials_mount: Path | None = None  # where meshctl writes the files the worker reads (sandbox)
    # How a MirrorMaker 2 connector's own clients reach Kafka: bootstrap.servers, security.protocol.
    kafka: Mapping[str, str] | None = None


class ConnectProvider:
    name = "connect"

    def __init__(
        self,
        connect: Callable[[], ConnectClient],
        settings: Callable[[], ConnectSettings],
        credentials: CredentialStore | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._connect = connect
        self._settings_of = settings
        self._settings: ConnectSettings | None = None
        self._client: ConnectClient | None = None
        self._credentials = credentials
        self._sleep = sleep

    @property
    def client(self) -> ConnectClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    @property
    def settings(self) -> ConnectSettings:
        if self._settings is None:
            self._settings = self._settings_of()
        return self._settings

    @property
    def requests(self) -> int:
        return self._client.requests if self._client else 0

    # -- reading ---------------------------------------------------------------

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        if not managed:
            return {}
        listed = self.client.connectors()
        out: dict[str, dict[str, object]] = {}
        for m in managed:
            name = str(m.attributes.get("name"))
            if name in listed:
                out[m.address] = self._live(name, listed[name], str(m.attributes.get("state") or "running"))
        return out

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        return {str(Address.of(TYPE, name)): {"name": name} for name in self.client.connectors()}

    def _live(self, name: str, entry: Mapping[str, Any], expected: str) -> dict[str, object]:
        info = entry.get("info") or {}
        status = entry.get("status") or {}
        settings = self.settings
        config, principal = live_view(name, info.get("config") or {}, settings.credentials_dir or "", settings.kafka)
        connector = status.get("connector") or {}
        state = str(connector.get("state") or "UNASSIGNED")
        live: dict[str, object] = {
            "name": name,
            "config": config,
            "principal": principal,
            "state": expected if state in _TRANSIENT else state.lower(),
        }
        failed = []
        if state == "FAILED":
            failed.append(f"connector: {_first_line(connector.get('trace'))}")
        for task in sorted(status.get("tasks") or [], key=lambda t: int(t.get("id", 0))):
            if task.get("state") == "FAILED":
                failed.append(f"task {task.get('id')}: {_first_line(task.get('trace'))}")
        if failed:
            live["failed_tasks"] = failed
        return live

    # -- writing ---------------------------------------------------------------

    def delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        results = []
        for c in changes:
            try:
                self.client.delete(str((c.before or {})["name"]))
            except ConnectError as exc:
                results.append(ChangeResult(c.address, str(exc)))
                continue
            results.append(ChangeResult(c.address, "", None))
        return results

    def apply(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        results = []
        for c in changes:
            after = dict(c.after or {})
            try:
                self._apply_one(c.before, after)
            except MeshError as exc:
                results.append(ChangeResult(c.address, str(exc)))
                continue
            after.pop("failed_tasks", None)
            results.append(ChangeResult(c.address, "", after))
        return results

    def _apply_one(self, before: Mapping[str, object] | None, after: Mapping[str, object]) -> None:
        name = str(after["name"])
        paused = after.get("state") == "paused"
        if before is None or before.get("name") != name:
            self.client.create(name, self._full_config(after), paused)
            return
        if before.get("config") != after.get("config") or before.get("principal") != after.get("principal"):
            self.client.put_config(name, self._full_config(after))
        live_state = before.get("state")
        if paused and live_state != "paused":
            self.client.pause(name)
            self._settle(name, "PAUSED")
        elif not paused and live_state != "running":
            self.client.resume(name)  # from paused or stopped; a failed connector is restarted below
            if live_state == "failed":
                self.client.restart(name, only_failed=False)
            self._settle(name, "RUNNING")
        elif before.get("failed_tasks") and not paused:
            self.client.restart(name, only_failed=True)

    def _full_config(self, after: Mapping[str, object]) -> dict[str, str]:
        raw = after.get("config")
        config = {str(k): str(v) for k, v in (raw.items() if isinstance(raw, Mapping) else ())}
        principal = str(after.get("principal") or "")
        if not principal:
            return config
        user = user_of(principal)
        directory = self.settings.credentials_dir
        if not directory:
            raise ConnectError(
                f"{after['name']} runs as {principal}, but nothing says where the Connect worker reads its password: "
                "set credentials_dir in the kafka_connect block or MESHCTL_CONNECT_CREDENTIALS_DIR"
            )
        self._mount(user)
        clusters = self.settings.kafka if is_mirror(config) else None
        if is_mirror(config) and not clusters:
            raise ConnectError(f"{after['name']}: MirrorMaker 2 needs the Kafka cluster's address for its own clients")
        return config | client_overrides(user, directory, clusters)

    def _mount(self, user: str) -> None:
        """Write the user's credentials file where the worker reads it, when meshctl can (the sandbox)."""
        mount = self.settings.credentials_mount
        if mount is None:
            return
        password = self._credentials.get(user) if self._credentials is not None else None
        if not password:
            raise ConnectError(f"no password is stored for User:{user}: apply its principal first")
        mechanism = getattr(self._credentials, "mechanism", None)
        chosen = mechanism(user) if callable(mechanism) else "SCRAM-SHA-512"
        text = f"# User:{user}'s Kafka credentials for the Connect worker, written by meshctl. Keep secret.\n"
        text += f"sasl.mechanism={chosen}\nsasl.username={user}\nsasl.password={password}\n"
        atomic_write(Path(credentials_file(str(mount), user)), text, 0o600)

    def _settle(self, name: str, state: str) -> None:
        """Wait (bounded) until the worker reports `state`: the next plan then reads it settled."""
        deadline = time.monotonic() + _SETTLE_SECONDS
        while time.monotonic() < deadline:
            status = self.client.status(name) or {}
            if (status.get("connector") or {}).get("state") == state:
                return
            self._sleep(0.25)


def _first_line(trace: object) -> str:
    line = str(trace or "no trace").strip().splitlines()[0] if str(trace or "").strip() else "no trace"
    return line if len(line) <= _TRACE_CHARS else line[:_TRACE_CHARS] + "..."
