"""Local state: `.meshctl/state.json`, written atomically, guarded by a lock file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from meshctl.documents import atomic_write, read_json
from meshctl.errors import MeshError
from meshctl.state.backend import DAMAGED_LOCK_ID, LockInfo, damaged_lock
from meshctl.state_model import State


class LocalBackend:
    def __init__(self, directory: Path):
        self.directory = directory
        self.path = directory / "state.json"
        self.lock_path = directory / "state.lock"
        self._lock: LockInfo | None = None

    def describe(self) -> str:
        return str(self.path)

    def read(self) -> State:
        try:
            doc = read_json(self.path)
        except FileNotFoundError:
            return State()
        except OSError as exc:
            raise MeshError(f"cannot read the state file {self.path}: {exc.strerror}") from None
        return State.from_json(doc.value, str(self.path))

    def write(self, state: State) -> None:
        state.serial += 1
        atomic_write(self.path, state.to_text(), 0o600)

    def check_writable(self) -> None:
        """Refuse before any change when state cannot be recorded: apply must not act unrecorded."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MeshError(f"cannot create the state directory {self.directory}: {exc.strerror}") from None
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise MeshError(
                f"the state directory {self.directory} is not writable: meshctl could not record what it changes; "
                "fix its permissions or choose another with --state-dir"
            )

    def lock(self, operation: str, timeout_s: float = 0.0) -> LockInfo:
        self.check_writable()
        info = LockInfo.new(operation, os.getpid())
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except PermissionError:
                raise MeshError(f"cannot create the lock file {self.lock_path}: permission denied") from None
            except FileExistsError:
                holder = self._holder_settled()
                if holder is not None and holder.host == info.host and not _pid_alive(holder.pid):
                    self.lock_path.unlink(missing_ok=True)  # its process is gone: a stale lock
                    continue
                if time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
                if holder is not None and holder.id == DAMAGED_LOCK_ID:
                    raise MeshError(
                        f"the state is locked by {holder.describe()}; if no meshctl run is active, "
                        f"clear it with `meshctl force-unlock {DAMAGED_LOCK_ID}`"
                    ) from None
                who = holder.describe() if holder else "an unknown holder"
                raise MeshError(
                    f"the state is locked by {who}; wait for that run to finish (lock file {self.lock_path})"
                ) from None
            with os.fdopen(fd, "w") as fh:
                json.dump(info.to_json(), fh)
            self._lock = info
            return info

    def unlock(self) -> None:
        if self._lock is not None:
            holder = self.holder()
            if holder is not None and holder.id == self._lock.id:
                self.lock_path.unlink(missing_ok=True)
            self._lock = None

    def force_unlock(self, lock_id: str) -> LockInfo:
        holder = self.holder()
        if holder is None:
            raise MeshError(f"the state at {self.path} is not locked")
        if holder.id != lock_id:
            raise MeshError(f"lock ID {lock_id} does not match the lock held by {holder.describe()}")
        self.lock_path.unlink(missing_ok=True)
        return holder

    def holder(self) -> LockInfo | None:
        """Who holds the lock; a lock file that is empty or unreadable is a damaged lock, not none."""
        try:
            doc = read_json(self.lock_path)
        except FileNotFoundError:
            return None
        except (OSError, MeshError):
            return damaged_lock(str(self.lock_path))
        try:
            return LockInfo.from_json(doc)
        except MeshError:
            return damaged_lock(str(self.lock_path))

    def _holder_settled(self) -> LockInfo | None:
        """The holder, read again after a moment if the file looks damaged: it may be mid-write."""
        holder = self.holder()
        if holder is not None and holder.id == DAMAGED_LOCK_ID:
            time.sleep(0.2)
            holder = self.holder()
        return holder


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
