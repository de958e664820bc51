"""What every sandbox service shares: a detached server process and the helpers around it.

:class:`DetachedProcess` knows a server by its pid file and a marker in its
command line, starts it in a session of its own with output appended to a log,
waits for it to get ready and stops it (SIGTERM, then SIGKILL). The rest are
small helpers for ports, caches, logs and private files. Stdlib and meshctl only.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from meshctl.documents import user_cache_dir

LOG_TAIL_LINES = 30


class SandboxError(RuntimeError):
    """A sandbox service could not be prepared, started or stopped.

    ``reason`` is one line for a person; ``details`` (a log or tool output tail)
    is kept apart so the CLI can print one line while ``str()`` shows both.
    """

    def __init__(self, reason: str, details: str = "") -> None:
        super().__init__(f"{reason}\n{details}" if details else reason)
        self.reason = reason
        self.details = details


# ---------------------------------------------------------------- ports


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (racy, but fine for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether ``port`` on 127.0.0.1 can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: TIME_WAIT sockets of a just-stopped server are not "busy".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def check_ports_free(*ports: int) -> None:
    """Raise SandboxError naming the first of ``ports`` that is in use on 127.0.0.1."""
    for port in ports:
        if not port_is_free(port):
            raise SandboxError(f"port {port} on 127.0.0.1 is already in use")


# ---------------------------------------------------------------- files


def default_cache_dir() -> Path:
    """``$MESHCTL_CACHE_DIR``, else ``$XDG_CACHE_HOME/meshctl``, else ``~/.cache/meshctl``: meshctl's one cache."""
    return user_cache_dir(os.environ)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing), e.g. while filling a cache."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_private(path: Path, text: str) -> None:
    """Write a file readable by the owner only (for passwords)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # the file may have existed with wider rights
        handle.write(text)


def tail(path: Path, offset: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of ``path`` after byte ``offset``; "" if it cannot be read."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            last = deque(handle, maxlen=lines)
    except OSError:
        return ""
    return b"".join(last).decode(errors="replace").rstrip()


def output_tail(result: subprocess.CompletedProcess[str], lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a finished tool's stdout and stderr."""
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


# ---------------------------------------------------------------- process


def _process_state(pid: int) -> str | None:
    """Linux process state letter ('R', 'S', 'Z', ...), or None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")


@dataclass
class DetachedProcess:
    """A server process known by its pid file, running in its own session.

    ``marker`` is a string in the server's command line (e.g. its config file):
    it tells the server from an unrelated process that reuses the pid after a
    crash. ``label`` names the server in the log banner and in errors.
    """

    label: str
    pid_path: Path
    log_path: Path
    marker: str
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False, compare=False)

    # -- state

    def pid(self) -> int | None:
        """The pid from the pid file, whether or not it still runs."""
        try:
            return int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None

    def is_running(self) -> bool:
        pid = self.pid()
        return pid is not None and self.alive(pid)

    def alive(self, pid: int) -> bool:
        """Whether ``pid`` is a live (not zombie) process whose command line holds ``marker``."""
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None  # poll() also reaps our own child
        if not Path("/proc").is_dir():  # not Linux: trust the pid file
            return _pid_exists(pid)
        state = _process_state(pid)
        if state is None or state in ("Z", "X"):
            return False
        # The pid may have been reused since the pid file was written.
        return any(self.marker in arg for arg in _cmdline(pid))

    def cmdline(self) -> list[str]:
        """The running server's arguments ([] if there is none or this is not Linux)."""
        pid = self.pid()
        return _cmdline(pid) if pid is not None and self.alive(pid) else []

    # -- start

    def launch(self, cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> int:
        """Start ``cmd`` with output appended to the log; return the log offset where this run begins."""
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            log.write(f"--- meshctl sandbox: {self.label} starting {time.ctime()}\n".encode())
            log.flush()
            # A new session detaches the server from the caller's terminal and Ctrl-C.
            self._proc = subprocess.Popen(
                list(cmd),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_path.write_text(f"{self._proc.pid}\n")
        return log_offset

    def wait_until(self, probe: Callable[[], str | None], timeout: float, log_offset: int) -> None:
        """Call ``probe`` until it returns None (ready); otherwise it returns why not.

        An OSError from ``probe`` (connection refused while booting) counts as
        "not yet". Fails, stopping the server, as soon as it exits and after
        ``timeout`` seconds. ``probe`` may call :meth:`fail` itself.
        """
        deadline = time.monotonic() + timeout
        why: str | None = "no answer yet"
        while time.monotonic() < deadline:
            if not self.is_running():
                self.fail(f"{self.label} exited during startup{self._exit_note()}", log_offset)
            try:
                why = probe()
            except OSError as exc:
                why = str(getattr(exc, "reason", exc))
            if why is None:
                return
            time.sleep(0.25)
        self.fail(f"{self.label} not ready after {timeout:g}s ({why})", log_offset)

    def _exit_note(self) -> str:
        code = self._proc.poll() if self._proc is not None else None
        return f" (exit {code})" if code is not None else ""

    def fail(self, reason: str, log_offset: int = 0) -> NoReturn:
        """Stop the server and raise SandboxError with the log written since ``log_offset``."""
        self.stop(timeout=10)
        raise SandboxError(f"{reason}; log: {self.log_path}", tail(self.log_path, log_offset))

    # -- stop

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL after ``timeout``. False if it was not running."""
        pid = self.pid()
        if pid is None or not self.alive(pid):
            self.pid_path.unlink(missing_ok=True)
            return False
        self._signal(pid, signal.SIGTERM)
        if not self._wait_exit(pid, timeout):
            self._signal(pid, signal.SIGKILL)
            if not self._wait_exit(pid, 10):
                raise SandboxError(f"{self.label} (pid {pid}) did not exit after SIGKILL")
        self.pid_path.unlink(missing_ok=True)
        return True

    @staticmethod
    def _signal(pid: int, sig: signal.Signals) -> None:
        with suppress(ProcessLookupError):
            os.kill(pid, sig)

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True


class RunsDetached:
    """What every sandbox service says about its detached process: where its pid and log are."""

    _process: DetachedProcess

    @property
    def pid_path(self) -> Path:
        return self._process.pid_path

    @property
    def log_path(self) -> Path:
        return self._process.log_path

    def pid(self) -> int | None:
        return self._process.pid()

    def is_running(self) -> bool:
        return self._process.is_running()

    def _pid_note(self) -> str:
        """`pid N, ` for a summary line while the service runs, else nothing."""
        pid = self.pid()
        return f"pid {pid}, " if pid is not None and self.is_running() else ""
