"""Kafka Connect connectors without a worker: which configuration values are secrets, what
refresh reports of a live connector, how a plan compares them, the REST client's errors and
retries, and what apply asks of the worker."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from meshctl.connectors import MASK, client_overrides, literal_secret, live_view, masked
from meshctl.credentials import LocalCredentialStore
from meshctl.plan.model import ResourceChange
from meshctl.providers.connect.client import RETRIES, ConnectClient, ConnectError
from meshctl.providers.connect.provider import ConnectProvider, ConnectSettings
from meshctl.resources import RESOURCE_TYPES

DIR = "/etc/kafka-connect/credentials"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
CONNECTOR = RESOURCE_TYPES["kafka_connector"]


# -- secrets in a configuration -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        ("consumer.override.sasl.jaas.config", 'x.ScramLoginModule required username="u" password="hunter2";', True),
        (
            "consumer.override.sasl.jaas.config",
            'x.ScramLoginModule required username="u" password="${file:/a:b}";',
            False,
        ),
        ("ssl.keystore.password", "hunter2", True),
        ("ssl.keystore.password", "${file:/run/secrets/ks.properties:password}", False),
        ("aws.secret.access.key", "AKIA/xyz", True),
        ("connection.password", "${directory:/run/secrets:db}", False),
        ("connection.password", "prefix-${file:/a:b}", True),  # part of the secret is written out
        ("key.converter", "org.apache.kafka.connect.storage.StringConverter", False),
        ("topics", "a,b", False),
        ("ssl.truststore.password", "", False),
    ],
)
def test_a_literal_secret_is_told_from_a_config_provider_reference(key: str, value: str, secret: bool) -> None:
    assert literal_secret(key, value) is secret


def test_refresh_masks_a_literal_secret_and_keeps_references() -> None:
    config = {"ssl.key.password": "hunter2", "db.password": "${file:/s.properties:db}", "topics": "t"}
    shown = masked(config)
    assert shown == {"db.password": "${file:/s.properties:db}", "ssl.key.password": MASK, "topics": "t"}
    assert "hunter2" not in json.dumps(shown)


def test_the_principal_settings_meshctl_adds_are_read_back_as_the_principal() -> None:
    declared = {"connector.class": SINK, "topics": "t"}
    live = {**declared, **client_overrides("sales-archive", DIR), "name": "sales.archive"}
    assert all("${file:" + DIR + "/sales-archive.properties:" in v for k, v in live.items() if ".override.sasl" in k)
    assert live_view("sales.archive", live, DIR) == (declared, "User:sales-archive")


def test_principal_settings_changed_out_of_band_stay_visible_and_masked() -> None:
    live = {"topics": "t", **client_overrides("sales-archive", DIR)}
    live["consumer.override.sasl.jaas.config"] = (
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="sales-archive" password="hunter2";'
    )
    config, principal = live_view("sales.archive", live, DIR)
    assert principal == ""  # so the plan puts the principal's settings back
    assert config["consumer.override.sasl.jaas.config"] == MASK
    assert "hunter2" not in json.dumps(config)
    # Another credentials folder is a change too: the worker reads the password elsewhere.
    assert live_view("s", {"topics": "t", **client_overrides("u", "/old")}, DIR)[1] == ""


# -- the plan's comparison ------------------------------------------------------------------


def _connector(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "sales.archive",
        "config": {"connector.class": SINK, "topics": "t"},
        "principal": "User:sales-archive",
        "state": "running",
    }
    return base | changes


def test_the_same_connector_is_no_change() -> None:
    assert CONNECTOR.compare(_connector(), _connector()).actions == ("no-op",)


@pytest.mark.parametrize(
    "live",
    [
        _connector(config={"connector.class": SINK, "topics": "t,u"}),
        _connector(state="paused"),
        _connector(state="failed"),
        _connector(principal=""),
        _connector(failed_tasks=["task 0: org.apache.kafka.common.errors.TopicAuthorizationException"]),
    ],
)
def test_a_config_state_principal_or_failed_task_is_an_update_in_place(live: dict[str, object]) -> None:
    assert CONNECTOR.compare(_connector(), live).actions == ("update",)


def test_a_new_name_is_another_connector() -> None:
    verdict = CONNECTOR.compare(_connector(name="sales.archive2"), _connector())
    assert verdict.actions == ("delete", "create") and "renamed" in verdict.reason
    assert not CONNECTOR.holds_data  # deleting a connector needs no --allow-delete


# -- the REST client ------------------------------------------------------------------------


class Worker:
    """A scripted worker: each request takes the next (status, body) answer."""

    def __init__(self, *answers: tuple[int, object]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, str, object]] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
        raw = request.data
        body = json.loads(raw) if isinstance(raw, bytes) else None
        self.requests.append((request.get_method(), request.full_url, body))
        status, answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return status, json.dumps(answer).encode() if answer is not None else b""


def _client(worker: Worker, sleeps: list[float] | None = None) -> ConnectClient:
    return ConnectClient("http://connect:8083", transport=worker, sleep=(sleeps if sleeps is not None else []).append)


def test_an_unreachable_worker_is_one_sentence_naming_it() -> None:
    def refused(request: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    with pytest.raises(ConnectError, match=r"^cannot reach Kafka Connect at http://connect:8083: .*Connection refused"):
        ConnectClient("http://connect:8083", transport=refused).connectors()


def test_a_rebalance_is_retried_until_it_is_over() -> None:
    rebalancing = (
        409,
        {
            "error_code": 409,
            "message": "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
        },
    )
    worker, sleeps = Worker(rebalancing, rebalancing, (200, {"name": "x"})), []
    _client(worker, sleeps).put_config("x", {"topics": "t"})
    assert len(worker.requests) == 3 and len(sleeps) == 2


def test_a_rebalance_that_does_not_end_fails_after_a_bounded_number_of_retries() -> None:
    worker, sleeps = Worker((409, {"error_code": 409, "message": "rebalance in progress"})), []
    with pytest.raises(ConnectError, match=r"^sales\.archive: .*still rebalancing after 10 retries"):
        _client(worker, sleeps).put_config("sales.archive", {})
    assert len(worker.requests) == RETRIES + 1 and sum(sleeps) < 30


def test_an_existing_connector_is_not_retried() -> None:
    worker = Worker((409, {"error_code": 409, "message": "Connector sales.archive already exists"}))
    with pytest.raises(ConnectError, match="already exists"):
        _client(worker).create("sales.archive", {}, paused=False)
    assert len(worker.requests) == 1


def test_an_invalid_configuration_names_the_connector_and_the_worker_s_reason() -> None:
    message = 'Connector configuration is invalid and contains the following 1 error(s):\nMissing configuration "file"'
    worker = Worker((400, {"error_code": 400, "message": message}))
    with pytest.raises(ConnectError) as caught:
        _client(worker).create("sales.archive", {"connector.class": SINK}, paused=False)
    assert str(caught.value).startswith(
        "sales.archive: Kafka Connect refused the configuration: Connector configuration"
    )
    assert '"file"' in str(caught.value) and "\n" not in str(caught.value)


def test_a_connector_already_gone_counts_as_deleted() -> None:
    _client(Worker((404, {"error_code": 404, "message": "Connector x not found"}))).delete("x")


def test_something_else_than_a_worker_is_said_so() -> None:
    with pytest.raises(ConnectError, match="does not answer as a Kafka Connect worker"):
        _client(Worker((200, ["not", "a", "map"]))).connectors()


# -- the provider ---------------------------------------------------------------------------


def _listing(state: str = "RUNNING", tasks: tuple[tuple[str, str], ...] = (("RUNNING", ""),)) -> dict[str, object]:
    config = {"connector.class": SINK, "topics": "t", "name": "sales.archive", **client_overrides("sales-archive", DIR)}
    return {
        "sales.archive": {
            "info": {"name": "sales.archive", "config": config, "tasks": [], "type": "sink"},
            "status": {
                "connector": {"state": state},
                "tasks": [{"id": i, "state": s, "trace": t} for i, (s, t) in enumerate(tasks)],
            },
        }
    }


def _provider(worker: Worker, tmp_path: Path | None = None, mount: bool = False) -> ConnectProvider:
    store = LocalCredentialStore(tmp_path / "credentials") if tmp_path else None
    settings = ConnectSettings(DIR, (tmp_path / "mount") if tmp_path and mount else None)
    return ConnectProvider(lambda: _client(worker), lambda: settings, store, sleep=lambda s: None)


def test_refresh_reads_every_connector_in_one_request_with_its_failed_tasks() -> None:
    from meshctl.providers.base import Managed

    trace = "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask\n\tat ..."
    worker = Worker((200, _listing(tasks=(("RUNNING", ""), ("FAILED", trace)))))
    provider = _provider(worker)
    managed = [Managed("module.a.kafka_connector.sink", "kafka_connector", _connector())]
    live = provider.refresh(managed)
    assert provider.requests == 1 and "expand=info&expand=status" in worker.requests[0][1]
    assert live["module.a.kafka_connector.sink"] == _connector(
        failed_tasks=["task 1: org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask"]
    )
    assert _provider(Worker((200, {}))).refresh([]) == {}  # nothing managed: no request


def test_a_connector_on_its_way_is_not_drift() -> None:
    from meshctl.providers.base import Managed

    managed = [Managed("kafka_connector.a", "kafka_connector", _connector(state="paused"))]
    assert _provider(Worker((200, _listing("UNASSIGNED")))).refresh(managed)["kafka_connector.a"]["state"] == "paused"


def _change(before: dict[str, object] | None, after: dict[str, object] | None) -> ResourceChange:
    actions = ("create",) if before is None else ("delete",) if after is None else ("update",)
    return ResourceChange(
        "kafka_connector.a", "kafka_connector", "a", "resource.kafka_connector.a", actions, before, after
    )


def test_apply_creates_paused_with_the_principal_s_settings_and_writes_its_credentials_to_the_mount(
    tmp_path: Path,
) -> None:
    store = LocalCredentialStore(tmp_path / "credentials")
    password = store.get_or_create("sales-archive", "SCRAM-SHA-512")
    worker = Worker((201, {}))
    results = _provider(worker, tmp_path, mount=True).apply([_change(None, _connector(state="paused"))])
    assert results[0].ok and results[0].attributes == _connector(state="paused")
    method, url, body = worker.requests[0]
    assert (method, url) == ("POST", "http://connect:8083/connectors")
    assert body["initial_state"] == "PAUSED" and body["config"]["topics"] == "t"
    assert password not in json.dumps(body)
    written = tmp_path / "mount" / "sales-archive.properties"
    assert f"sasl.password={password}" in written.read_text() and written.stat().st_mode & 0o777 == 0o600


def test_apply_updates_the_configuration_and_resumes() -> None:
    worker = Worker((200, {}), (202, None), (200, {"connector": {"state": "RUNNING"}}))
    before = _connector(state="paused", config={"connector.class": SINK, "topics": "old"})
    assert _provider(worker).apply([_change(before, _connector())])[0].ok
    assert [(m, u.rsplit("/", 1)[1]) for m, u, _ in worker.requests] == [
        ("PUT", "config"),
        ("PUT", "resume"),
        ("GET", "status"),
    ]


def test_apply_restarts_failed_tasks_only() -> None:
    worker = Worker((202, None))
    assert _provider(worker).apply([_change(_connector(failed_tasks=["task 0: x"]), _connector())])[0].ok
    assert worker.requests == [
        ("POST", "http://connect:8083/connectors/sales.archive/restart?includeTasks=true&onlyFailed=true", None)
    ]


def test_a_refused_configuration_fails_that_connector_only() -> None:
    worker = Worker((400, {"error_code": 400, "message": 'Missing required configuration "file"'}), (201, {}))
    other = _connector(name="sales.other")
    results = _provider(worker).apply([_change(None, _connector()), _change(None, other)])
    assert "sales.archive: Kafka Connect refused the configuration" in results[0].error
    assert results[1].ok


def test_a_principal_without_a_credentials_folder_is_refused_before_any_request() -> None:
    worker = Worker((201, {}))
    provider = ConnectProvider(lambda: _client(worker), lambda: ConnectSettings(None, None))
    result = provider.apply([_change(None, _connector())])[0]
    assert "MESHCTL_CONNECT_CREDENTIALS_DIR" in result.error and worker.requests == []


# -- copies -----------------------------------------------------------------------------------


def test_a_copy_compiles_to_its_topic_principal_grants_and_mirrormaker_connector(tmp_path: Path) -> None:
    from datetime import date

    from meshctl.config.loader import LoadOptions, load
    from meshctl.engine.run import compile_desired
    from meshctl.state_model import State
    from tests.helpers import MINIMAL, write_mesh

    copy = 'copy "orders_local" {\n  domain  = "analytics"\n  product = "sales.orders"\n  version = 1\n}\n'
    write_mesh(tmp_path, {"main.hcl": MINIMAL, "copy.hcl": copy})
    desired = compile_desired(load(tmp_path, LoadOptions(env={})), State(), date(2026, 12, 3))
    # The copy's topic comes from the copy as a product of analytics (its lineage names the source).
    copied = ("copy.analytics.orders_local.v1", "data_product.analytics.orders_local.v1")
    mine = {r.address: r for r in desired.resources if r.source in copied}
    user = "analytics-orders_local-v1+copy"
    assert sorted(mine) == sorted(
        [
            "kafka_topic.analytics.orders_local.v1",
            f"kafka_scram_user.{user}",
            f"kafka_acl.{user}/topic/commerce.sales.orders.v1",
            f"kafka_acl.{user}/topic/analytics.orders_local.v1",
            "kafka_acl.analytics/topic/analytics.orders_local.v1",
            "kafka_connector.analytics.orders_local.v1",
        ]
    )
    acls = {a: dict(r.attributes) for a, r in mine.items() if r.type == "kafka_acl"}
    assert acls[f"kafka_acl.{user}/topic/commerce.sales.orders.v1"]["operations"] == ["DESCRIBE", "READ"]
    assert acls[f"kafka_acl.{user}/topic/analytics.orders_local.v1"]["operations"] == ["DESCRIBE", "WRITE"]
    assert acls["kafka_acl.analytics/topic/analytics.orders_local.v1"]["operations"] == ["DESCRIBE", "READ"]
    topic = mine["kafka_topic.analytics.orders_local.v1"].attributes
    assert topic["partitions"] == 3 and topic["config"]["retention.ms"] == "86400000"  # the source's
    connector = mine["kafka_connector.analytics.orders_local.v1"]
    attrs = connector.attributes
    assert attrs["name"] == "copy.analytics.orders_local.v1" and attrs["principal"] == f"User:{user}"
    config = attrs["config"]
    assert isinstance(config, dict)
    assert config["connector.class"] == "org.apache.kafka.connect.mirror.MirrorSourceConnector"
    assert config["topics"] == "commerce\\.sales\\.orders\\.v1"
    assert config["transforms.copy.regex"] == "mesh\\.commerce\\.sales\\.orders\\.v1"
    assert config["transforms.copy.replacement"] == "analytics.orders_local.v1"
    assert not any(literal_secret(k, v) for k, v in config.items())
    # It waits for its topic, its principal and that principal's grants.
    assert set(connector.depends_on) == {a for a, r in mine.items() if r.type != "kafka_connector" and user in a} | {
        "kafka_topic.analytics.orders_local.v1"
    }


def test_mirrormaker_s_cluster_settings_are_added_and_read_back() -> None:
    clusters = {"bootstrap.servers": "kafka:9092", "security.protocol": "SASL_SSL"}
    declared = {"connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector", "topics": "t"}
    added = client_overrides("u", DIR, clusters)
    assert added["source.cluster.bootstrap.servers"] == "kafka:9092"
    assert "${file:" in added["target.cluster.sasl.jaas.config"]
    assert live_view("c", {**declared, **added}, DIR, clusters) == (declared, "User:u")
