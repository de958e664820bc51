"""A schema registry speaking Confluent's REST API, for trying and testing meshctl locally.

It is Apicurio Registry 3.x (its runnable Quarkus archive, fetched from Maven
Central with ``mvn`` and cached), listening on 127.0.0.1 only, with in-memory
storage: every start begins empty. The Confluent-compatible API lives under
``/apis/ccompat/v7``; a global BACKWARD compatibility rule is set at start so
that incompatible schemas are rejected as a real registry would.

Apicurio 3.3's classes are built for Java 21, so a JDK 21+ is looked for even
when ``java`` on PATH is older (the Kafka broker is happy with 17).

Also home of :func:`http_json`, the small HTTP client the moto sandbox shares.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import urllib.error
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from meshctl_sandbox.process import (
    DetachedProcess,
    RunsDetached,
    SandboxError,
    check_ports_free,
    default_cache_dir,
    file_lock,
    free_port,
    output_tail,
)

APICURIO_VERSION = "3.3.3"
MIN_JAVA = 21  # apicurio-registry-app 3.3.x holds class files of version 65
DEFAULT_PORT = 18081
DEFAULT_COMPATIBILITY = "BACKWARD"
CCOMPAT_PATH = "/apis/ccompat/v7"
POM_PATH = Path(__file__).with_name("pom-registry.xml")
JAVA_HOME_ENV = "MESHCTL_REGISTRY_JAVA_HOME"

_COMPLETE_MARKER = ".complete"
_JVM_DIRS = (Path("/usr/lib/jvm"), Path("/usr/local/lib/jvm"), Path("/opt/java"))
_JSON = "application/json"
# Confluent clients send this media type; Apicurio accepts plain JSON as well.
_SR_JSON = "application/vnd.schemaregistry.v1+json"
# The sandbox servers are on loopback: never go through an $http_proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---------------------------------------------------------------- app archive


def ensure_registry_app(cache_dir: Path | None = None) -> Path:
    """Return ``<cache>/apicurio-registry-<version>/app`` (holding ``quarkus-run.jar``), fetching it once.

    Same scheme as the Kafka jars: a marker written after Maven succeeded, and a
    file lock against parallel test workers.
    """
    version_dir = (cache_dir or default_cache_dir()) / f"apicurio-registry-{APICURIO_VERSION}"
    app = version_dir / "app"
    marker = version_dir / _COMPLETE_MARKER
    if marker.exists():
        return app
    version_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(version_dir / ".lock"):
        if marker.exists():  # another process finished while we waited
            return app
        shutil.rmtree(app, ignore_errors=True)
        _run_maven(app)
        if not (app / "quarkus-run.jar").exists():
            raise SandboxError(f"Maven finished but {app} holds no quarkus-run.jar")
        marker.write_text(f"apicurio-registry-app {APICURIO_VERSION}\n")
    return app


def _run_maven(app: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SandboxError("Maven ('mvn') is needed once to fetch Apicurio Registry; it is not on PATH")
    cmd = [
        mvn, "-B", "-q", "-f", str(POM_PATH), "dependency:unpack",
        f"-Dapicurio.version={APICURIO_VERSION}",
        f"-Dregistry.outputDirectory={app}",
    ]  # fmt: skip
    # cwd is the cache folder: Maven must leave nothing in the package or caller's cwd.
    result = subprocess.run(cmd, cwd=app.parent, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SandboxError(
            f"fetching Apicurio Registry {APICURIO_VERSION} with Maven failed (exit {result.returncode})",
            output_tail(result),
        )


# ---------------------------------------------------------------- java


def find_java(min_major: int = MIN_JAVA) -> str:
    """A ``java`` of at least ``min_major``.

    ``$MESHCTL_REGISTRY_JAVA_HOME`` wins if set (and must be new enough); else
    ``$JAVA_HOME``, ``java`` on PATH, then the JDKs under the usual folders.
    """
    forced = os.environ.get(JAVA_HOME_ENV)
    if forced:
        java = str(Path(forced).expanduser() / "bin" / "java")
        major = _java_major(java)
        if major is None or major < min_major:
            raise SandboxError(f"${JAVA_HOME_ENV} must point at a JDK {min_major}+; {java} is {major or 'unusable'}")
        return java
    seen: list[str] = []
    for java in _java_candidates():
        major = _java_major(java)
        if major is not None and major >= min_major:
            return java
        seen.append(f"{java} ({major or '?'})")
    found = f" (found: {', '.join(seen)})" if seen else ""
    raise SandboxError(
        f"Apicurio Registry {APICURIO_VERSION} needs Java {min_major}+{found};"
        f" install one or set ${JAVA_HOME_ENV} to its home"
    )


def _java_candidates() -> list[str]:
    paths: list[Path] = []
    if java_home := os.environ.get("JAVA_HOME"):
        paths.append(Path(java_home) / "bin" / "java")
    if on_path := shutil.which("java"):
        paths.append(Path(on_path))
    for root in _JVM_DIRS:
        paths += sorted(root.glob("*/bin/java"), reverse=True)
    unique: dict[Path, str] = {}
    for path in paths:
        if path.is_file():
            unique.setdefault(path.resolve(), str(path))  # /usr/bin/java is a link into a JDK
    return list(unique.values())


def _java_major(java: str) -> int | None:
    """Feature version of a ``java`` binary: from its JDK's ``release`` file, else ``java -version``."""
    release = Path(java).resolve().parent.parent / "release"
    text = ""
    with suppress(OSError):
        text = release.read_text()
    if not text:
        try:
            result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        text = result.stderr
    match = re.search(r'^JAVA_VERSION="(?:1\.)?(\d+)|version "(?:1\.)?(\d+)', text, re.MULTILINE)
    return int(match.group(1) or match.group(2)) if match else None


# ---------------------------------------------------------------- HTTP


def http_json(method: str, url: str, body: Any = None, timeout: float = 5.0) -> tuple[int, Any]:
    """Send ``body`` as JSON; return the status and the decoded answer (text if not JSON).

    HTTP error statuses are returned, not raised; connection failures raise OSError.
    """
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Accept": f"{_SR_JSON}, {_JSON}"})
    if data is not None:
        request.add_header("Content-Type", _JSON)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    text = raw.decode(errors="replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


# ---------------------------------------------------------------- registry


@dataclass
class RegistrySandbox(RunsDetached):
    """Apicurio Registry whose config, log and pid live in ``workdir``; its schemas live in memory.

    ``management_port`` serves ``/health/*`` (Quarkus puts it on a port of its
    own, 9000 on all interfaces by default); 0 picks a free one at each start.
    """

    name: ClassVar[str] = "registry"

    workdir: Path
    port: int = DEFAULT_PORT
    management_port: int = 0
    cache_dir: Path | None = None
    heap: str = "256m"
    compatibility: str = DEFAULT_COMPATIBILITY
    # Apicurio's ccompat GET /subjects returns at most 1000 subjects by default.
    max_subjects: int = 100_000
    _health_port: int = field(default=0, init=False, repr=False, compare=False)
    _process: DetachedProcess = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).absolute()
        self._process = DetachedProcess(
            label=f"Apicurio Registry {APICURIO_VERSION}",
            pid_path=self.workdir / "registry.pid",
            log_path=self.workdir / "registry.log",
            marker=str(self.config_path),
        )

    # -- paths and addresses

    @property
    def config_path(self) -> Path:
        return self.workdir / "registry.properties"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Base URL of the Confluent-compatible API, what schema registry clients are given."""
        return self.base_url + CCOMPAT_PATH

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self._health_port or self.management_port}/health/ready"

    def env_lines(self) -> list[str]:
        return [f"export MESHCTL_REGISTRY_URL={shlex.quote(self.url)}"]

    def summary(self) -> str:
        where = self._pid_note()
        return (
            f"Apicurio Registry {APICURIO_VERSION} at {self.url}"
            f" (Confluent API, in-memory, {self.compatibility}), {where}log {self.log_path}"
        )

    # -- process state

    def is_running(self) -> bool:
        """Whether a registry runs from this workdir; if so its ports are adopted."""
        if not self._process.is_running():
            return False
        self._adopt_running_ports()
        return True

    def _adopt_running_ports(self) -> None:
        with suppress(OSError, ValueError):
            for line in self.config_path.read_text().splitlines():
                key, _, value = line.partition("=")
                if key == "quarkus.http.port":
                    self.port = int(value)
                elif key == "quarkus.management.port":
                    self._health_port = int(value)

    # -- start and stop

    def start(self, timeout: float = 90.0) -> bool:
        """Start the registry, wait until it serves, and set the global compatibility.

        Returns False if it was already running (its ports are adopted).
        """
        if self.is_running():
            return False
        app = ensure_registry_app(self.cache_dir)
        java = find_java()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._health_port = self.management_port or _free_port_other_than(self.port)
        check_ports_free(self.port, self._health_port)
        self.config_path.write_text(self._config_text())
        log_offset = self._process.launch(self._command(java, app), cwd=self.workdir)
        try:
            self._process.wait_until(self._probe, timeout, log_offset)
            self._set_global_compatibility(log_offset)
        except BaseException:
            self.stop(timeout=10)  # e.g. Ctrl-C: leave no half-started registry behind
            raise
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM (Quarkus shuts down cleanly), SIGKILL after ``timeout``. False if not running."""
        return self._process.stop(timeout)

    def _command(self, java: str, app: Path) -> list[str]:
        return [
            java, f"-Xmx{self.heap}", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
            # C1 only: starts about twice as fast on 2 cores; peak speed does not matter here.
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dquarkus.config.locations=file:{self.config_path}",
            "-jar", str(app / "quarkus-run.jar"),
        ]  # fmt: skip

    def _config_properties(self) -> dict[str, str]:
        work = str(self.workdir)
        return {
            "quarkus.http.host": "127.0.0.1",
            "quarkus.http.port": str(self.port),
            "quarkus.management.host": "127.0.0.1",
            "quarkus.management.port": str(self._health_port),
            # A line per request (access and audit log) would drown the startup messages.
            "quarkus.http.access-log.enabled": "false",
            "quarkus.log.level": "WARN",
            'quarkus.log.category."io.apicurio".level': "WARN",
            'quarkus.log.category."io.quarkus".level': "INFO",  # the "started in" line
            "apicurio.storage.kind": "sql",
            "apicurio.storage.sql.kind": "h2",
            "apicurio.datasource.url": "jdbc:h2:mem:registry",
            # The default keeps 20 idle H2 connections; a sandbox needs few.
            "apicurio.datasource.jdbc.initial-size": "2",
            "apicurio.datasource.jdbc.min-size": "2",
            "apicurio.datasource.jdbc.max-size": "20",
            "apicurio.ccompat.max-subjects": str(self.max_subjects),
            # Hard deletes (DELETE ...?permanent=true) are refused unless enabled.
            "apicurio.rest.deletion.artifact.enabled": "true",
            "apicurio.rest.deletion.artifact-version.enabled": "true",
            "apicurio.rest.deletion.group.enabled": "true",
            # Both default to /tmp.
            "apicurio.storage.snapshot.location": work,
            "apicurio.import.work-dir": work,
        }

    def _config_text(self) -> str:
        lines = ["# Written by meshctl_sandbox on every start; edits are overwritten."]
        lines += [f"{key}={value}" for key, value in self._config_properties().items()]
        return "\n".join(lines) + "\n"

    def _probe(self) -> str | None:
        status, _ = http_json("GET", self.health_url, timeout=2)
        if status != 200:
            return f"/health/ready answered {status}"
        status, _ = http_json("GET", f"{self.url}/subjects", timeout=2)
        return None if status == 200 else f"{CCOMPAT_PATH}/subjects answered {status}"

    def _set_global_compatibility(self, log_offset: int) -> None:
        # Without a global rule Apicurio accepts any change, unlike a real Confluent registry.
        status, answer = http_json("PUT", f"{self.url}/config", {"compatibility": self.compatibility})
        if status != 200:
            self._process.fail(f"setting the global compatibility failed ({status}: {answer})", log_offset)


def _free_port_other_than(port: int) -> int:
    while (candidate := free_port()) == port:
        pass
    return candidate
