"""Local state: `.meshctl/state.json`, written atomically, guarded by a lock file."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from meshctl.errors import MeshError
from meshctl.state.backend import LockInfo
from meshctl.state.model import State


def atomic_write(path: Path, text: str, mode: int = 0o644) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
            text = self.path.read_text()
        except FileNotFoundError:
            return State()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MeshError(f"state file {self.path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return State.from_json(data, str(self.path))

    def write(self, state: State) -> None:
        state.serial += 1
        atomic_write(self.path, json.dumps(state.to_json(), indent=2, sort_keys=False) + "\n", 0o600)

    def lock(self, operation: str, timeout_s: float = 0.0) -> LockInfo:
        self.directory.mkdir(parents=True, exist_ok=True)
        info = LockInfo.new(operation, os.getpid())
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                holder = self.holder()
                if holder is not None and holder.host == info.host and not _pid_alive(holder.pid):
                    self.lock_path.unlink(missing_ok=True)  # its process is gone: a stale lock
                    continue
                if time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
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
        try:
            return LockInfo(**json.loads(self.lock_path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
