"""A local AWS API (moto's server mode) for trying and testing meshctl locally.

``moto.server`` runs as a detached process of this Python on 127.0.0.1; state
lives in memory and ``reset()`` wipes it between tests. boto3 reaches it
through ``AWS_ENDPOINT_URL`` with any credentials. Needs ``moto[server]``.
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from meshctl_sandbox.process import DetachedProcess, RunsDetached, SandboxError, check_ports_free
from meshctl_sandbox.registry import http_json

DEFAULT_PORT = 15000
DEFAULT_REGION = "eu-west-1"
# moto accepts any credentials; these are the ones its docs use.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"

_SERVER_MODULE = "moto.server"
# Import names of moto and of what its [server] extra adds (Flask app with CORS).
_SERVER_MODULES = ("moto", "flask", "flask_cors")


def check_moto_installed() -> None:
    """Raise SandboxError unless this Python can run ``moto.server``."""
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise SandboxError(
            f"the AWS sandbox needs moto's server mode; {', '.join(missing)} not installed"
            f" (run: {sys.executable} -m pip install 'moto[server]')"
        )


@dataclass
class MotoSandbox(RunsDetached):
    """A moto server whose log and pid live in ``workdir``; its AWS state lives in memory."""

    name: ClassVar[str] = "moto"

    workdir: Path
    port: int = DEFAULT_PORT
    region: str = DEFAULT_REGION
    _process: DetachedProcess = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).absolute()
        self._process = DetachedProcess(
            label="moto server",
            pid_path=self.workdir / "moto.pid",
            log_path=self.workdir / "moto.log",
            marker=_SERVER_MODULE,
        )

    # -- addresses and client settings

    @property
    def url(self) -> str:
        """The endpoint every AWS service is reached at."""
        return f"http://127.0.0.1:{self.port}"

    def client_env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and meshctl) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": self.region,
        }

    def env_lines(self) -> list[str]:
        return [f"export {key}={shlex.quote(value)}" for key, value in self.client_env().items()]

    def summary(self) -> str:
        where = self._pid_note()
        return f"moto server at {self.url} (region {self.region}, in-memory), {where}log {self.log_path}"

    # -- process state

    def is_running(self) -> bool:
        """Whether a moto server runs from this workdir; if so its port is adopted."""
        if not self._process.is_running():
            return False
        self._adopt_running_port()
        return True

    def _adopt_running_port(self) -> None:
        args = self._process.cmdline()
        if "-p" in args[:-1]:
            self.port = int(args[args.index("-p") + 1])

    # -- start, stop, reset

    def start(self, timeout: float = 30.0) -> bool:
        """Start the server and wait until it answers. False if it was already running."""
        if self.is_running():
            return False
        check_moto_installed()
        self.workdir.mkdir(parents=True, exist_ok=True)
        check_ports_free(self.port)
        cmd = [sys.executable, "-m", _SERVER_MODULE, "-H", "127.0.0.1", "-p", str(self.port)]
        log_offset = self._process.launch(cmd, cwd=self.workdir)
        try:
            self._process.wait_until(self._probe, timeout, log_offset)
        except BaseException:
            self.stop(timeout=5)
            raise
        return True

    def stop(self, timeout: float = 10.0) -> bool:
        """SIGTERM, SIGKILL after ``timeout``. False if it was not running."""
        return self._process.stop(timeout)

    def reset(self) -> None:
        """Forget every bucket, role, table...: a clean AWS account for the next test."""
        try:
            status, answer = http_json("POST", f"{self.url}/moto-api/reset")
        except OSError as exc:
            raise SandboxError(f"moto server at {self.url} did not answer the reset ({exc})") from exc
        if status != 200:
            raise SandboxError(f"moto reset failed ({status}: {answer})")

    def _probe(self) -> str | None:
        status, _ = http_json("GET", f"{self.url}/moto-api/", timeout=2)
        return None if status == 200 else f"/moto-api/ answered {status}"
