"""One real Kafka broker (KRaft, SASL/SCRAM, StandardAuthorizer) for the whole suite.

The harness fetches Kafka's jars from Maven Central on first use (cached) and starts the
broker on free ports of 127.0.0.1. If it cannot start, every integration test fails with
the reason; none is skipped.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from confluent_kafka.admin import AdminClient

from meshctl_sandbox.connect import ConnectSandbox, rest_call
from meshctl_sandbox.kafka import KafkaSandbox, SandboxError, free_port
from meshctl_sandbox.moto import MotoSandbox
from meshctl_sandbox.registry import RegistrySandbox
from tests.integration import kafkautil
from tests.integration.clients.jvm import JavaClients

pytestmark = pytest.mark.integration
T = TypeVar("T")


def _serve(what: str, prefix: str, make: Callable[[Path], T], timeout: float) -> Iterator[T]:
    """Start one server for the whole session on free ports; fail every test that needs it,
    with the reason, if it cannot start."""
    workdir = Path(tempfile.mkdtemp(prefix=f"meshctl-it-{prefix}-"))
    server = make(workdir)
    try:
        server.start(timeout=timeout)  # type: ignore[attr-defined]
    except SandboxError as exc:
        pytest.fail(f"{what} for the integration tests did not start: {exc}", pytrace=False)
    yield server
    server.stop()  # type: ignore[attr-defined]
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaSandbox]:
    yield from _serve(
        "the Kafka broker",
        "kafka",
        lambda d: KafkaSandbox(d, port=free_port(), controller_port=free_port(), tls_port=free_port()),
        180,
    )


@pytest.fixture(scope="session")
def kafka_b() -> Iterator[KafkaSandbox]:
    """A second, independent broker (another environment, or another cluster of one),
    started only by the tests that need two clusters and then kept for the session."""
    yield from _serve(
        "the second Kafka broker",
        "kafka-b",
        lambda d: KafkaSandbox(d, port=free_port(), controller_port=free_port()),
        180,
    )


@pytest.fixture
def broker_b(kafka_b: KafkaSandbox) -> KafkaSandbox:
    """The second broker, started again if a test stopped it."""
    if not kafka_b.is_running():
        kafka_b.start(timeout=120)
    return kafka_b


@pytest.fixture
def admin_b(broker_b: KafkaSandbox) -> AdminClient:
    return AdminClient(broker_b.admin_config() | {"log_level": 0})


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoSandbox]:
    yield from _serve("the moto server", "moto", lambda d: MotoSandbox(d, port=free_port()), 60)


@pytest.fixture(scope="session")
def registry_server() -> Iterator[RegistrySandbox]:
    """Apicurio Registry (Confluent REST API) from Maven Central, in memory, one for the session."""
    yield from _serve("the schema registry", "registry", lambda d: RegistrySandbox(d, port=free_port()), 180)


@pytest.fixture(scope="session")
def java_clients(tmp_path_factory: pytest.TempPathFactory) -> JavaClients:
    """Produce, Consume and Enrich (tests/integration/clients/java), built once: the jars come
    from Maven Central into meshctl's cache on the first run (beside the broker's), javac
    compiles each session. Fails every test that needs them, with the reason, without a JDK
    or Maven."""
    clients = JavaClients(tmp_path_factory.mktemp("java-clients"))
    try:
        clients.build()
    except SandboxError as exc:
        pytest.fail(f"the Java clients for the integration tests could not be built: {exc}", pytrace=False)
    return clients


@pytest.fixture
def registry_env(registry_server: RegistrySandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"MESHCTL_REGISTRY_URL": registry_server.url}
    monkeypatch.setenv("MESHCTL_REGISTRY_URL", registry_server.url)
    return env


@pytest.fixture
def aws_env(moto_server: MotoSandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """boto3 pointed at a freshly reset moto server."""
    moto_server.reset()
    env = moto_server.client_env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env


@pytest.fixture
def broker(kafka: KafkaSandbox) -> KafkaSandbox:
    """The shared broker, started again if a test stopped it."""
    if not kafka.is_running():
        kafka.start(timeout=120)
    return kafka


@pytest.fixture(scope="session")
def connect_worker(kafka: KafkaSandbox) -> Iterator[ConnectSandbox]:
    """A Kafka Connect worker (distributed mode, Apache's jars) on broker A, started by the first
    test that needs it and kept for the session. It reads connector passwords from its own
    secrets folder only, which meshctl writes (MESHCTL_CONNECT_CREDENTIALS_MOUNT, `connect_env`)."""
    yield from _serve(
        "the Kafka Connect worker",
        "connect",
        lambda d: ConnectSandbox(d, kafka, port=free_port(), credentials_dirs=[d / "secrets"]),
        180,
    )


@pytest.fixture
def connect_env(
    connect_worker: ConnectSandbox, kafka_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """meshctl pointed at the worker, writing connector credentials where it reads them. The
    connectors a test leaves are deleted after it: none keeps polling the shared broker while
    later tests (which pause or restart it) run."""
    if not connect_worker.is_running():
        connect_worker.start(timeout=120)
    env = dict(line.removeprefix("export ").split("=", 1) for line in connect_worker.env_lines())
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    status, names = rest_call("GET", f"{connect_worker.url}/connectors")
    for name in names if status == 200 and isinstance(names, list) else []:
        rest_call("DELETE", f"{connect_worker.url}/connectors/{urllib.parse.quote(name, safe='')}")


@pytest.fixture
def admin(broker: KafkaSandbox) -> AdminClient:
    return AdminClient(broker.admin_config() | {"log_level": 0})


@pytest.fixture
def kafka_env(broker: KafkaSandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = dict(line.removeprefix("export ").split("=", 1) for line in broker.env_lines())
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


_counter = itertools.count()


@pytest.fixture
def prefix() -> str:
    """A unique domain prefix, so tests sharing the broker never see each other's objects."""
    return f"t{next(_counter)}{uuid.uuid4().hex[:4]}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kafka_env: dict[str, str]) -> Path:
    monkeypatch.chdir(tmp_path)
    os.environ.pop("NO_COLOR", None)
    return tmp_path


__all__ = ["kafkautil"]
