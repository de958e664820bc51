"""The Kafka Connect REST API, behind meshctl's own calls: one JSON request each, every failure
one sentence naming the worker's address (and the connector).

A worker answers 409 while its group rebalances (and a follower forwards writes to the leader
only once it is known): such a request is retried, a bounded number of times.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meshctl.errors import MeshError
from meshctl.redaction import register, register_basic_auth

RETRY_STATUSES = frozenset({409})
# About 15 s of a rebalance: Connect finishes one in a few seconds.
RETRIES = 10
RETRY_SECONDS = 0.5
_MAX_BODY = 400  # of an error's text in a message


class ConnectError(MeshError):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


Transport = Callable[[urllib.request.Request, float], tuple[int, bytes]]


def _urllib(request: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
    # The worker is reached directly: an $http_proxy is for the internet, not a worker's REST port.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class ConnectClient:
    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 30.0,
        transport: Transport = _urllib,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.requests = 0
        self._transport = transport
        self._sleep = sleep
        self._auth = ""
        if username:
            register_basic_auth(username, password or "")
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
            self._auth = f"Basic {token}"
        try:
            register(urllib.parse.urlsplit(url).password)  # a URL's user-info is a password too
        except ValueError:
            pass

    # -- requests ------------------------------------------------------------

    def call(self, method: str, path: str, body: object = None, what: str = "") -> Answer:
        """One request (retried on 409); `what` names the connector in errors. A status >= 400
        other than 404 raises ConnectError; 404 is returned (the caller knows what it means)."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(self.url + path, data=data, method=method)
            request.add_header("Accept", "application/json")
            if data is not None:
                request.add_header("Content-Type", "application/json")
            if self._auth:
                request.add_header("Authorization", self._auth)
            self.requests += 1
            try:
                status, raw = self._transport(request, self.timeout_s)
            except (OSError, ValueError) as exc:  # refused, timed out, DNS, a malformed URL
                reason = getattr(exc, "reason", None) or exc
                raise ConnectError(f"cannot reach Kafka Connect at {self.url}: {reason}") from None
            answer = Answer(status, _decode(raw))
            # 409 is also "Connector X already exists", which no retry changes.
            if status not in RETRY_STATUSES or "already exists" in _error_text(answer.body):
                break
            if attempt < RETRIES:
                self._sleep(RETRY_SECONDS * min(attempt + 1, 4))
        if answer.status >= 400 and answer.status != 404:
            retried = answer.status in RETRY_STATUSES and "already exists" not in _error_text(answer.body)
            raise ConnectError(self._message(method, path, answer, what, retried))
        return answer

    def _message(self, method: str, path: str, answer: Answer, what: str, retried: bool) -> str:
        detail = _error_text(answer.body)
        subject = f"{what}: " if what else ""
        if answer.status == 400:
            return f"{subject}Kafka Connect refused the configuration: {detail}"
        if answer.status in (401, 403):
            return (
                f"{subject}Kafka Connect at {self.url} refused the credentials ({answer.status}): "
                "set MESHCTL_CONNECT_USERNAME and MESHCTL_CONNECT_PASSWORD"
            )
        if retried:
            return (
                f"{subject}Kafka Connect at {self.url} was still rebalancing after {RETRIES} retries "
                f"({answer.status}: {detail}); try again"
            )
        return f"{subject}{method} {path} at {self.url} failed ({answer.status}: {detail})"

    # -- the calls meshctl makes ---------------------------------------------

    def connectors(self) -> dict[str, Any]:
        """Every connector with its configuration and status, in one request."""
        answer = self.call("GET", "/connectors?expand=info&expand=status")
        if answer.status == 404 or not isinstance(answer.body, dict):
            raise ConnectError(
                f"{self.url} does not answer as a Kafka Connect worker (GET /connectors: {answer.status})"
            )
        return answer.body

    def create(self, name: str, config: dict[str, str], paused: bool) -> None:
        body = {"name": name, "config": config, "initial_state": "PAUSED" if paused else "RUNNING"}
        self.call("POST", "/connectors", body, what=name)

    def put_config(self, name: str, config: dict[str, str]) -> None:
        self.call("PUT", f"/connectors/{_quote(name)}/config", config, what=name)

    def pause(self, name: str) -> None:
        self.call("PUT", f"/connectors/{_quote(name)}/pause", what=name)

    def resume(self, name: str) -> None:
        self.call("PUT", f"/connectors/{_quote(name)}/resume", what=name)

    def restart(self, name: str, only_failed: bool) -> None:
        query = f"includeTasks=true&onlyFailed={'true' if only_failed else 'false'}"
        self.call("POST", f"/connectors/{_quote(name)}/restart?{query}", what=name)

    def delete(self, name: str) -> None:
        """Gone already (404) counts as deleted."""
        self.call("DELETE", f"/connectors/{_quote(name)}", what=name)

    def stop(self, name: str) -> None:
        """STOPPED (Kafka 3.5+): no tasks run, and its offsets may be altered."""
        self.call("PUT", f"/connectors/{_quote(name)}/stop", what=name)

    def offsets(self, name: str) -> list[dict[str, Any]]:
        """KIP-875's GET /connectors/NAME/offsets: the source offsets the connector recorded."""
        answer = self.call("GET", f"/connectors/{_quote(name)}/offsets", what=name)
        body = answer.body if isinstance(answer.body, dict) else {}
        found = body.get("offsets")
        return [o for o in found if isinstance(o, dict)] if isinstance(found, list) else []

    def alter_offsets(self, name: str, offsets: list[dict[str, Any]]) -> None:
        """KIP-875's PATCH /connectors/NAME/offsets: the connector must be STOPPED."""
        self.call("PATCH", f"/connectors/{_quote(name)}/offsets", {"offsets": offsets}, what=name)

    def status(self, name: str) -> Any:
        answer = self.call("GET", f"/connectors/{_quote(name)}/status", what=name)
        return answer.body if answer.status == 200 else None


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _decode(raw: bytes) -> Any:
    text = raw.decode(errors="replace")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _error_text(body: Any) -> str:
    """Connect's `{"error_code": 400, "message": "..."}`, shortened."""
    text = body.get("message", "") if isinstance(body, dict) else str(body or "")
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_BODY else text[:_MAX_BODY] + "..."
