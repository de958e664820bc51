"""Where state lives. Every backend reads, writes and locks the same `State` document."""

from __future__ import annotations

import getpass
import socket
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Protocol

from meshctl.documents import JsonValue
from meshctl.state_model import State


@dataclass(frozen=True)
class LockInfo:
    """Who holds the state, doing what, since when; stored with the lock."""

    id: str
    who: str
    operation: str
    created: str
    pid: int
    host: str

    def describe(self) -> str:
        if self.id == DAMAGED_LOCK_ID:
            return self.who
        return f"{self.who} ({self.operation}, since {self.created}, lock ID {self.id})"

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: JsonValue) -> LockInfo:
        """A stored lock record; a member missing or of another type raises BadDocumentError."""
        return cls(
            id=doc.get("id", str),
            who=doc.get("who", str),
            operation=doc.get("operation", str),
            created=doc.get("created", str),
            pid=doc.get("pid", int),
            host=doc.get("host", str),
        )

    @classmethod
    def new(cls, operation: str, pid: int) -> LockInfo:
        host = socket.gethostname()
        return cls(
            id=str(uuid.uuid4()),
            who=f"{getpass.getuser()}@{host}",
            operation=operation,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            pid=pid,
            host=host,
        )


DAMAGED_LOCK_ID = "damaged"


def damaged_lock(where: str) -> LockInfo:
    """A lock whose record is empty or unreadable (a run died while taking it): a holder no one knows,
    cleared with `meshctl force-unlock damaged` like any other lock left behind."""
    return LockInfo(
        id=DAMAGED_LOCK_ID,
        who=f"an unknown run (the lock {where} is empty or damaged, lock ID {DAMAGED_LOCK_ID})",
        operation="unknown",
        created="unknown",
        pid=0,
        host="",
    )


class StateBackend(Protocol):
    def describe(self) -> str:
        """Where the state is, for messages (a path or s3://bucket/key)."""
        ...

    def read(self) -> State: ...

    def write(self, state: State) -> None:
        """Persist `state` with its serial raised by one."""
        ...

    def lock(self, operation: str, timeout_s: float = 0.0) -> LockInfo:
        """Take the lock or raise MeshError naming the holder once `timeout_s` has passed."""
        ...

    def unlock(self) -> None: ...

    def holder(self) -> LockInfo | None: ...

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove a lock left behind, if `lock_id` is the holder's; returns what was removed."""
        ...
