"""A Kafka Connect worker in distributed mode, for trying and testing meshctl's connectors.

It runs ``org.apache.kafka.connect.cli.ConnectDistributed`` from Apache Kafka's own jars
(connect-runtime, connect-mirror, connect-file; fetched from Maven Central with ``mvn`` and
cached, the broker's Kafka version) against a :class:`~meshctl_sandbox.kafka.KafkaSandbox`,
with its REST API on 127.0.0.1 only.

The worker is a principal like any other: the sandbox makes its SCRAM user and grants it
exactly what a worker cluster needs (meshctl's own rules for a ``connect`` application): its
group and its three internal topics, which the sandbox creates (the worker may create none).
Connectors run under their own principals (``connector.client.config.override.policy=All``),
whose passwords they reference through the worker's FileConfigProvider
(``${file:<dir>/<principal>.properties:sasl.password}``), never inline: the files are the
ones meshctl's local credential store writes, read from ``credentials_dirs`` only.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from meshctl.naming import connect_group_id, connect_internal_topics
from meshctl_sandbox.kafka import KAFKA_VERSION, KafkaSandbox, fetch_jars
from meshctl_sandbox.process import (
    DetachedProcess,
    RunsDetached,
    SandboxError,
    check_ports_free,
    write_private,
)

DEFAULT_PORT = 18083
WORKER_USER = "sandbox-connect"
POM_PATH = Path(__file__).with_name("pom-connect.xml")
_MAIN_CLASS = "org.apache.kafka.connect.cli.ConnectDistributed"
# The worker's internal topics: the configs topic must have one partition; few elsewhere (one broker).
_PARTITIONS = {"configs": 1, "offsets": 5, "status": 1}
# What a worker needs on its internal topics (a worker checks they are compacted: DescribeConfigs).
_INTERNAL_OPS = ("DESCRIBE", "DESCRIBE_CONFIGS", "READ", "WRITE")
# The sandbox servers are on loopback: never go through an $http_proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def ensure_connect_jars(cache_dir: Path | None = None) -> Path:
    """Return ``<cache>/kafka-connect-<version>/lib``, downloading the jars the first time
    (the broker's scheme: a marker after Maven succeeded, a lock against parallel runs)."""
    jars = tuple(f"{name}-{KAFKA_VERSION}" for name in ("connect-runtime", "connect-mirror", "connect-file"))
    return fetch_jars(cache_dir, f"kafka-connect-{KAFKA_VERSION}", POM_PATH, jars, "Kafka Connect")


def rest_call(method: str, url: str, body: Any = None, timeout: float = 10.0) -> tuple[int, Any]:
    """One JSON request; HTTP error statuses are returned, connection failures raise OSError."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Accept": "application/json"})
    if data is not None:
        request.add_header("Content-Type", "application/json")
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


_LOG_PROPERTIES = (
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.connect.runtime.Connect=info",
    # A task's failure and the connectors' state changes: what a test or a person looks for.
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.connect.runtime.WorkerTask=info",
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.connect.runtime.Worker=info",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
    "-Dorg.slf4j.simpleLogger.logFile=System.out",
)


@dataclass
class ConnectSandbox(RunsDetached):
    """One distributed-mode worker whose config, log and pid live in ``workdir``.

    ``credentials_dirs``: the only folders its FileConfigProvider may read (meshctl's local
    credential stores, where each principal has ``<principal>.properties``).
    """

    name: ClassVar[str] = "connect"

    workdir: Path
    kafka: KafkaSandbox
    port: int = DEFAULT_PORT
    credentials_dirs: Sequence[Path] = ()
    cache_dir: Path | None = None
    heap: str = "256m"
    user: str = WORKER_USER
    _process: DetachedProcess = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).absolute()
        self.credentials_dirs = [Path(d).absolute() for d in self.credentials_dirs]
        self._process = DetachedProcess(
            label=f"Kafka Connect {KAFKA_VERSION}",
            pid_path=self.workdir / "connect.pid",
            log_path=self.workdir / "connect.log",
            marker=str(self.properties_path),
        )

    # -- paths, addresses, settings

    @property
    def properties_path(self) -> Path:
        return self.workdir / "connect-distributed.properties"

    @property
    def password_path(self) -> Path:
        return self.workdir / "worker-password"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def group_id(self) -> str:
        return connect_group_id(self.user)

    @property
    def internal_topics(self) -> dict[str, str]:
        return connect_internal_topics(self.user)

    @property
    def password(self) -> str:
        if not self.password_path.exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            write_private(self.password_path, base64.urlsafe_b64encode(os.urandom(18)).decode() + "\n")
        return self.password_path.read_text().strip()

    def env_lines(self) -> list[str]:
        lines = [f"export MESHCTL_CONNECT_URL={shlex.quote(self.url)}"]
        if self.credentials_dirs:
            # Where connectors find their principals' passwords: the worker reads this folder.
            # meshctl writes a connector principal's file there (the sandbox is a secrets mount).
            folder = shlex.quote(str(self.credentials_dirs[0]))
            lines.append(f"export MESHCTL_CONNECT_CREDENTIALS_DIR={folder}")
            lines.append(f"export MESHCTL_CONNECT_CREDENTIALS_MOUNT={folder}")
        return lines

    def summary(self) -> str:
        return (
            f"Kafka Connect {KAFKA_VERSION} (distributed) at {self.url}, worker User:{self.user}"
            f" on {self.kafka.bootstrap_servers}, {self._pid_note()}log {self.log_path}"
        )

    # -- process

    def is_running(self) -> bool:
        if not self._process.is_running():
            return False
        self._adopt_running_port()
        return True

    def _adopt_running_port(self) -> None:
        try:
            text = self.properties_path.read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("listeners="):
                self.port = int(line.rsplit(":", 1)[1])

    def start(self, timeout: float = 120.0) -> bool:
        """Make the worker's principal, topics and ACLs, start it and wait until its REST API
        answers and it joined its group. False if it was already running."""
        if self.is_running():
            return False
        if not self.kafka.is_running():
            raise SandboxError("Kafka Connect needs the sandbox's Kafka broker running first")
        lib = ensure_connect_jars(self.cache_dir)
        java = _find_java()
        self.workdir.mkdir(parents=True, exist_ok=True)
        check_ports_free(self.port)
        for folder in self._allowed_paths():  # the FileConfigProvider refuses a path that does not exist
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._prepare_broker()
        write_private(self.properties_path, self._properties_text())
        log_offset = self._process.launch(self._command(java, lib), cwd=self.workdir)
        try:
            self._process.wait_until(self._probe, timeout, log_offset)
        except BaseException:
            self.stop(timeout=10)
            raise
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        return self._process.stop(timeout)

    def _probe(self) -> str | None:
        status, answer = rest_call("GET", f"{self.url}/connectors", timeout=3)
        # 200 only once the worker has read its config topic as the group's member.
        return None if status == 200 else f"GET /connectors answered {status}: {answer}"

    def _command(self, java: str, lib: Path) -> list[str]:
        return [
            java, f"-Xmx{self.heap}", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
            "-XX:TieredStopAtLevel=1",  # C1 only: a quicker start on 2 cores
            "-Djava.awt.headless=true", *_LOG_PROPERTIES,
            "-cp", f"{lib}/*", _MAIN_CLASS, str(self.properties_path),
        ]  # fmt: skip

    def _properties(self) -> dict[str, str]:
        jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{self.user}" password="{self.password}";'
        )
        security = {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.jaas.config": jaas,
        }
        topics = self.internal_topics
        allowed = ",".join(str(d) for d in self._allowed_paths())
        return {
            "bootstrap.servers": self.kafka.bootstrap_servers,
            **security,
            # The connectors' clients default to the worker's principal; each connector meshctl
            # deploys overrides these with its own principal's (the policy below allows it).
            **{f"{client}.{k}": v for client in ("producer", "consumer", "admin") for k, v in security.items()},
            "group.id": self.group_id,
            "config.storage.topic": topics["configs"],
            "offset.storage.topic": topics["offsets"],
            "status.storage.topic": topics["status"],
            "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1",
            "status.storage.replication.factor": "1",
            "listeners": f"http://127.0.0.1:{self.port}",
            "rest.advertised.host.name": "127.0.0.1",
            "rest.advertised.port": str(self.port),
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "topic.creation.enable": "false",
            "connector.client.config.override.policy": "All",
            "config.providers": "file",
            "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
            "config.providers.file.param.allowed.paths": allowed,
            "offset.flush.interval.ms": "1000",
            # One worker: no need to wait for a departed member before reassigning its tasks.
            "scheduled.rebalance.max.delay.ms": "0",
            "plugin.discovery": "only_scan",
        }

    def _allowed_paths(self) -> list[Path]:
        return [Path(d) for d in self.credentials_dirs] or [self.workdir / "credentials"]

    def _properties_text(self) -> str:
        lines = ["# Written by meshctl_sandbox on every start; edits are overwritten."]
        lines += [f"{key}={value}" for key, value in self._properties().items()]
        return "\n".join(lines) + "\n"

    def _prepare_broker(self) -> None:
        """The worker's SCRAM user, its internal topics (compacted) and its ACLs, as admin."""
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({**self.kafka.admin_config(), "log_level": 0})
        try:
            credential = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
            upsert = UserScramCredentialUpsertion(self.user, credential, self.password.encode())
            for future in admin.alter_user_scram_credentials([upsert]).values():
                future.result(timeout=30)
            existing = set(admin.list_topics(timeout=30).topics)
            new = [
                NewTopic(name, _PARTITIONS[role], 1, config={"cleanup.policy": "compact"})
                for role, name in self.internal_topics.items()
                if name not in existing
            ]
            for future in admin.create_topics(new).values() if new else []:
                future.result(timeout=30)
            principal = f"User:{self.user}"
            bindings = [_binding(principal, ResourceType.GROUP, self.group_id, op) for op in ("DESCRIBE", "READ")] + [
                _binding(principal, ResourceType.TOPIC, name, op)
                for name in self.internal_topics.values()
                for op in _INTERNAL_OPS
            ]
            for future in admin.create_acls(bindings).values():
                future.result(timeout=30)
        except KafkaException as exc:
            raise SandboxError(f"preparing the Connect worker's principal, topics and ACLs failed: {exc}") from None


def _binding(principal: str, rtype: ResourceType, name: str, op: str) -> AclBinding:
    return AclBinding(
        rtype, name, ResourcePatternType.LITERAL, principal, "*", AclOperation[op], AclPermissionType.ALLOW
    )


def _find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise SandboxError("Java 17+ is needed to run Kafka Connect; 'java' is not on PATH (nor in $JAVA_HOME)")
    return java
