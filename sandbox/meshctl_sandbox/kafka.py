"""A one-node Apache Kafka broker for trying and testing meshctl locally.

The broker runs from Apache Kafka's own jars (fetched from Maven Central with
``mvn`` and cached), in KRaft combined mode, listening on 127.0.0.1 only:

* ``CLIENT``: SASL_PLAINTEXT with SCRAM-SHA-512 and the StandardAuthorizer, so
  ACLs are enforced exactly as on a real cluster. This is what meshctl uses.
* ``CONTROLLER``: SASL_PLAINTEXT with PLAIN, authenticated as ``admin``, so no
  anonymous principal needs to be a super user.

Needs Java 17+ and Maven on PATH; Python side is stdlib + confluent-kafka.
"""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

# SandboxError, default_cache_dir and free_port used to live here: still importable from here.
from meshctl_sandbox.process import (
    DetachedProcess,
    RunsDetached,
    SandboxError,
    check_ports_free,
    default_cache_dir,
    file_lock,
    output_tail,
    write_private,
)
from meshctl_sandbox.process import free_port as free_port

KAFKA_VERSION = "4.1.2"
SLF4J_VERSION = "2.0.17"
ADMIN_USER = "admin"
DEFAULT_PORT = 19092
DEFAULT_CONTROLLER_PORT = 19093
POM_PATH = Path(__file__).with_name("pom-kafka.xml")

_COMPLETE_MARKER = ".complete"
# One readiness probe: describe_cluster answers within its 2 s request timeout.
_PROBE_SECONDS = 5.0
# Errors that retrying will not fix: a wrong password means the workdir's data
# was formatted with a different admin secret.
_AUTH_ERRORS = frozenset({KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED})
_SNAPSHOT_INTERVAL_MS = 1000
_METADATA_LOG = "__cluster_metadata-0"
# Written by ``format --standalone`` with quorum records only; it holds no credentials.
_ZERO_CHECKPOINT = "00000000000000000000-0000000000.checkpoint"
_SNAPSHOT_WAIT_SECONDS = 30.0


# ---------------------------------------------------------------- jars


def ensure_kafka_jars(cache_dir: Path | None = None) -> Path:
    """Return ``<cache>/kafka-<version>/lib``, downloading the jars the first time."""
    return fetch_jars(cache_dir, f"kafka-{KAFKA_VERSION}", POM_PATH, (f"kafka_2.13-{KAFKA_VERSION}",), "Kafka")


def fetch_jars(cache_dir: Path | None, folder: str, pom: Path, jars: tuple[str, ...], what: str) -> Path:
    """Return ``<cache>/<folder>/lib``, the runtime jars of `pom` fetched by Maven the first time.

    A marker file is written only after Maven succeeded and every jar in `jars` is there, so
    an interrupted download is thrown away and redone. A file lock keeps parallel test
    workers from downloading into the same folder at once.
    """
    version_dir = (cache_dir or default_cache_dir()) / folder
    lib = version_dir / "lib"
    marker = version_dir / _COMPLETE_MARKER
    if marker.exists():
        return lib
    version_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(version_dir / ".lock"):
        if marker.exists():  # another process finished while we waited
            return lib
        shutil.rmtree(lib, ignore_errors=True)
        _run_maven(lib, pom, what)
        for jar in jars:
            if not (lib / f"{jar}.jar").exists():
                raise SandboxError(f"Maven finished but {lib} holds no {jar}.jar")
        marker.write_text(f"{what} {KAFKA_VERSION}, slf4j {SLF4J_VERSION}\n")
    return lib


def _run_maven(lib: Path, pom: Path, what: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SandboxError(f"Maven ('mvn') is needed once to fetch {what}'s jars; it is not on PATH")
    cmd = [
        mvn, "-B", "-q", "-f", str(pom),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={lib}",
        f"-Dkafka.version={KAFKA_VERSION}",
        f"-Dslf4j.version={SLF4J_VERSION}",
    ]  # fmt: skip
    # cwd is the cache folder: Maven must leave nothing in the package or caller's cwd.
    result = subprocess.run(
        cmd,
        cwd=lib.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SandboxError(
            f"fetching {what} {KAFKA_VERSION} jars with Maven failed (exit {result.returncode})",
            output_tail(result),
        )


# ---------------------------------------------------------------- helpers


def _find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise SandboxError("Java 17+ is needed to run Kafka; 'java' is not on PATH (nor in $JAVA_HOME)")
    return java


def _new_cluster_id() -> str:
    """16 random bytes in unpadded URL-safe base64, as Kafka's own ids."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # A leading "-" would be read as an option by StorageTool (Kafka avoids it too).
        if not cluster_id.startswith("-"):
            return cluster_id


def _error_text(exc: Exception) -> str:
    error = exc.args[0] if exc.args else None
    return error.str() if isinstance(error, KafkaError) else str(exc) or type(exc).__name__


# JVM system properties for slf4j-simple: warnings only, plus the "started" line.
_LOG_PROPERTIES = (
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
    "-Dorg.slf4j.simpleLogger.logFile=System.out",
)


# ---------------------------------------------------------------- broker


@dataclass
class KafkaSandbox(RunsDetached):
    """One KRaft broker+controller whose data, config, log and pid live in ``workdir``.

    The admin password is generated once per workdir and kept in it, so a
    restart after ``stop()`` reuses the data without reformatting.
    """

    name: ClassVar[str] = "kafka"

    workdir: Path
    port: int = DEFAULT_PORT
    controller_port: int = DEFAULT_CONTROLLER_PORT
    cache_dir: Path | None = None
    heap: str = "384m"
    # A second client listener with SASL_SSL (a self-signed certificate made with the JDK's
    # keytool on first start), so TLS connections are tested against the real broker too.
    tls_port: int | None = None
    admin_user: str = field(default=ADMIN_USER, init=False)
    _process: DetachedProcess = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).absolute()
        self._process = DetachedProcess(
            label=f"Kafka {KAFKA_VERSION}",
            pid_path=self.workdir / "kafka.pid",
            log_path=self.workdir / "broker.log",
            marker=str(self.properties_path),
        )

    # -- paths

    @property
    def properties_path(self) -> Path:
        return self.workdir / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def password_path(self) -> Path:
        return self.workdir / "admin-password"

    @property
    def tls_dir(self) -> Path:
        return self.workdir / "tls"

    @property
    def ca_path(self) -> Path:
        """The broker's self-signed certificate (PEM): the CA a TLS client trusts."""
        return self.tls_dir / "ca.pem"

    # -- credentials and client settings

    @property
    def password(self) -> str:
        """The admin password, created on first use of a fresh workdir."""
        if self.password_path.exists():
            return self.password_path.read_text().strip()
        if self._is_formatted():
            raise SandboxError(
                f"{self.password_path} is missing but {self.data_dir} holds a"
                f" formatted broker; delete {self.workdir} to start afresh"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        # URL-safe base64 needs no quoting in JAAS, StorageTool or shell.
        secret = base64.urlsafe_b64encode(os.urandom(18)).decode()
        write_private(self.password_path, secret + "\n")
        return secret

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client_config(self, username: str, password: str) -> dict[str, str]:
        """librdkafka properties for any SCRAM user on the CLIENT listener."""
        return {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": username,
            "sasl.password": password,
        }

    def admin_config(self) -> dict[str, str]:
        """librdkafka properties for the super user ``admin``."""
        return self.client_config(self.admin_user, self.password)

    def tls_client_config(self, username: str, password: str) -> dict[str, str]:
        """librdkafka properties for a SCRAM user on the SASL_SSL listener (``tls_port``)."""
        if self.tls_port is None:
            raise SandboxError("this broker has no TLS listener (tls_port)")
        return {
            **self.client_config(username, password),
            "bootstrap.servers": f"127.0.0.1:{self.tls_port}",
            "security.protocol": "SASL_SSL",
            "ssl.ca.location": str(self.ca_path),
        }

    def env_lines(self) -> list[str]:
        """``export`` lines for meshctl's Kafka provider settings."""
        config = self.admin_config()
        values = {
            "MESHCTL_KAFKA_BOOTSTRAP_SERVERS": config["bootstrap.servers"],
            "MESHCTL_KAFKA_SECURITY_PROTOCOL": config["security.protocol"],
            "MESHCTL_KAFKA_SASL_MECHANISM": config["sasl.mechanism"],
            "MESHCTL_KAFKA_SASL_USERNAME": config["sasl.username"],
            "MESHCTL_KAFKA_SASL_PASSWORD": config["sasl.password"],
        }
        return [f"export {key}={shlex.quote(value)}" for key, value in values.items()]

    def summary(self) -> str:
        """One line saying where the broker listens and where its files are."""
        where = self._pid_note()
        return (
            f"Kafka {KAFKA_VERSION} at {self.bootstrap_servers}"
            " (SASL_PLAINTEXT, SCRAM-SHA-512, "
            f"user {self.admin_user}), {where}log {self.log_path}"
        )

    # -- process state

    def is_running(self) -> bool:
        """Whether a broker runs from this workdir.

        If so, ``port`` and ``controller_port`` are set to the ones it was
        started with, so a fresh instance describes the running broker.
        """
        if not self._process.is_running():
            return False
        self._adopt_running_ports()
        return True

    # -- start

    def start(self, timeout: float = 90.0) -> bool:
        """Start the broker and wait until the admin can describe the cluster.

        Returns False if it was already running (its ports are adopted).
        """
        if self.is_running():
            return False
        lib = ensure_kafka_jars(self.cache_dir)
        java = _find_java()
        self.workdir.mkdir(parents=True, exist_ok=True)
        check_ports_free(self.port, self.controller_port, *([self.tls_port] if self.tls_port else []))
        if self.tls_port is not None:
            self._ensure_certificate(java)
        self._write_properties()
        if not self._is_formatted():
            self._format(java, lib)
        log_offset = self._process.launch(self._command(java, lib), cwd=self.workdir)
        try:
            self._wait_ready(timeout, log_offset)
            self._ensure_metadata_snapshot(log_offset)
        except BaseException:
            self.stop(timeout=10)  # e.g. Ctrl-C: leave no half-started broker behind
            raise
        return True

    def _is_formatted(self) -> bool:
        return (self.data_dir / "meta.properties").exists()

    def _server_properties(self) -> dict[str, str]:
        secret = self.password
        scram_jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{self.admin_user}" password="{secret}";'
        )
        # PLAIN on the controller listener: user_<name> is the server side;
        # username/password the client side the broker uses to reach its controller.
        plain_jaas = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="{self.admin_user}" password="{secret}" '
            f'user_{self.admin_user}="{secret}";'
        )
        tls = f",CLIENTTLS://127.0.0.1:{self.tls_port}" if self.tls_port is not None else ""
        return self._tls_properties(scram_jaas) | {
            "process.roles": "broker,controller",
            "node.id": "1",
            # Static voters: no --standalone at format time; ports may change per run.
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"CLIENT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}{tls}",
            "advertised.listeners": f"CLIENT://127.0.0.1:{self.port}{tls}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "CLIENT",
            "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
            + (",CLIENTTLS:SASL_SSL" if tls else ""),
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.client.sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "listener.name.client.scram-sha-512.sasl.jaas.config": scram_jaas,
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": plain_jaas,
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{self.admin_user}",
            "allow.everyone.if.no.acl.found": "false",
            "log.dirs": str(self.data_dir),
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # After a crash the new incarnation waits for the old broker session to
            # expire (9 s by default); tests kill and restart the broker on purpose.
            "broker.session.timeout.ms": "3000",
            "broker.heartbeat.interval.ms": "500",
            # Kafka 4.1 rebuilds the broker's SCRAM credentials at start by replaying the
            # metadata log from an empty image; a replayed user deletion can then drop every
            # SCRAM-SHA-512 credential, admin's included (see _ensure_metadata_snapshot).
            # Snapshots hold no deletions: take one within a second of each metadata change,
            # and write no idle no-op records, which would make that a snapshot a second.
            "metadata.log.max.snapshot.interval.ms": str(_SNAPSHOT_INTERVAL_MS),
            "metadata.max.idle.interval.ms": "0",
            # The 128 MiB default dedupe buffer does not fit a small heap.
            "log.cleaner.dedupe.buffer.size": "2097152",
            "log.segment.bytes": "16777216",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "num.recovery.threads.per.data.dir": "1",
        }

    def _tls_properties(self, scram_jaas: str) -> dict[str, str]:
        if self.tls_port is None:
            return {}
        return {
            "listener.name.clienttls.sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "listener.name.clienttls.scram-sha-512.sasl.jaas.config": scram_jaas,
            "listener.name.clienttls.ssl.keystore.type": "PKCS12",
            "listener.name.clienttls.ssl.keystore.location": str(self.tls_dir / "broker.p12"),
            "listener.name.clienttls.ssl.keystore.password": self._keystore_password(),
        }

    def _keystore_password(self) -> str:
        path = self.tls_dir / "keystore-password"
        if not path.exists():
            self.tls_dir.mkdir(parents=True, exist_ok=True)
            write_private(path, base64.urlsafe_b64encode(os.urandom(18)).decode() + "\n")
        return path.read_text().strip()

    def _ensure_certificate(self, java: str) -> None:
        """A self-signed certificate for 127.0.0.1 and localhost, made once per workdir."""
        keystore = self.tls_dir / "broker.p12"
        if keystore.exists() and self.ca_path.exists():
            return
        keytool = str(Path(java).with_name("keytool"))
        secret = self._keystore_password()
        common = ["-alias", "broker", "-keystore", str(keystore), "-storetype", "PKCS12", "-storepass", secret]
        steps = [
            [keytool, "-genkeypair", *common, "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "3650",
             "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keypass", secret],
            [keytool, "-exportcert", "-rfc", *common, "-file", str(self.ca_path)],
        ]  # fmt: skip
        keystore.unlink(missing_ok=True)
        for step in steps:
            result = subprocess.run(step, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise SandboxError(f"keytool could not make the broker's certificate (exit {result.returncode})",
                                   output_tail(result))  # fmt: skip

    def _write_properties(self) -> None:
        lines = ["# Written by meshctl_sandbox on every start; edits are overwritten."]
        lines += [f"{key}={value}" for key, value in self._server_properties().items()]
        write_private(self.properties_path, "\n".join(lines) + "\n")

    def _format(self, java: str, lib: Path) -> None:
        cmd = [
            java, "-Xmx256m", "-cp", f"{lib}/*", *_LOG_PROPERTIES,
            "kafka.tools.StorageTool", "format",
            "-t", _new_cluster_id(),
            "-c", str(self.properties_path),
            "--add-scram",
            f"SCRAM-SHA-512=[name={self.admin_user},password={self.password}]",
        ]  # fmt: skip
        result = subprocess.run(
            cmd,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            # Leave no half-formatted data: the next start formats again.
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise SandboxError(
                f"formatting Kafka storage failed (exit {result.returncode})",
                output_tail(result),
            )

    def _command(self, java: str, lib: Path) -> list[str]:
        return [
            java, f"-Xmx{self.heap}", "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true", *_LOG_PROPERTIES,
            "-cp", f"{lib}/*", "kafka.Kafka", str(self.properties_path),
        ]  # fmt: skip

    def _wait_ready(self, timeout: float, log_offset: int) -> None:
        """Wait until the admin can describe the cluster; fail at once on a wrong password."""
        errors: list[KafkaError] = []
        admin = AdminClient(
            {
                **self.admin_config(),
                "log_level": 0,  # connection-refused noise while the broker boots
                "socket.connection.setup.timeout.ms": 2000,
                "reconnect.backoff.max.ms": 500,
            },
            error_cb=errors.append,  # auth failures surface only here
        )

        def probe() -> str | None:
            future = admin.describe_cluster(request_timeout=2)
            give_up = time.monotonic() + _PROBE_SECONDS
            while not future.done() and time.monotonic() < give_up:
                admin.poll(0.1)  # serves error_cb
                self._fail_on_auth_error(errors, log_offset)
            try:
                future.result(timeout=0)
            except (KafkaException, TimeoutError) as exc:
                return _error_text(exc)
            return None

        self._process.wait_until(probe, timeout, log_offset)

    def _has_metadata_snapshot(self) -> bool:
        log_dir = self.data_dir / _METADATA_LOG
        return any(p.name != _ZERO_CHECKPOINT for p in log_dir.glob("*.checkpoint"))

    def _ensure_metadata_snapshot(self, log_offset: int) -> None:
        """Make sure the metadata log has a snapshot (it then holds admin's credential).

        Kafka 4.1's broker loads SCRAM credentials at start by replaying the metadata log into
        one delta over an empty image. ``ScramDelta.apply`` walks that delta in hash order of the
        user names; a deletion met while the map it builds is still empty drops the whole
        SCRAM-SHA-512 map, and the live users that follow (admin among them) go into a detached
        map. After users were deleted, the next start can so come back with no working login.
        A start from a snapshot is immune: a snapshot holds live users only, and the deletions
        after it apply to an image that still has admin. Without idle no-op records Kafka snaps
        only after a change, so one is made here: admin's credential set again to the same password.
        """
        admin = AdminClient({**self.admin_config(), "log_level": 0})
        credential = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
        deadline = time.monotonic() + _SNAPSHOT_WAIT_SECONDS
        while not self._has_metadata_snapshot():
            if time.monotonic() > deadline:
                self._process.fail(f"Kafka wrote no metadata snapshot in {_SNAPSHOT_WAIT_SECONDS:g}s", log_offset)
            upsert = UserScramCredentialUpsertion(self.admin_user, credential, self.password.encode())
            try:
                for future in admin.alter_user_scram_credentials([upsert]).values():
                    future.result(timeout=10)
            except (KafkaException, TimeoutError) as exc:
                self._process.fail(f"could not refresh admin's SCRAM credential: {_error_text(exc)}", log_offset)
            give_up = time.monotonic() + 3 * _SNAPSHOT_INTERVAL_MS / 1000
            while not self._has_metadata_snapshot() and time.monotonic() < give_up:
                time.sleep(0.1)

    def _fail_on_auth_error(self, errors: list[KafkaError], log_offset: int) -> None:
        # A wrong password will not fix itself: the data was formatted with another.
        for error in errors:
            if error.code() in _AUTH_ERRORS:
                reason = f"admin cannot authenticate ({error.str()})"
                self._process.fail(f"{reason}; delete {self.workdir} to reset", log_offset)

    def _adopt_running_ports(self) -> None:
        """Take the ports from the config the running broker was started with."""
        try:
            text = self.properties_path.read_text()
        except OSError:
            return
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key == "advertised.listeners":
                for listener in value.split(","):
                    name, _, address = listener.partition("://")
                    if name == "CLIENT":
                        self.port = int(address.rsplit(":", 1)[1])
                    elif name == "CLIENTTLS":
                        self.tls_port = int(address.rsplit(":", 1)[1])
            elif key == "controller.quorum.voters":
                self.controller_port = int(value.rsplit(":", 1)[1])

    # -- stop

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL after ``timeout``. False if it was not running."""
        return self._process.stop(timeout)
