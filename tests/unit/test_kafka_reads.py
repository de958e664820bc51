"""The Kafka client's large reads: each costs a constant number of requests, whatever the size
of the cluster, and keeps only what meshctl compares."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from meshctl.providers.kafka import client as client_module


class LoginAdmin:
    """An AdminClient made for one principal's login: it answers DescribeCluster, refusing a
    wrong password, and fails the test on a metadata request (which the broker answers by
    authorizing every topic of the cluster for the principal)."""

    made: list[LoginAdmin] = []

    def __init__(self, conf: dict[str, Any]):
        self.conf = conf
        self.calls: list[str] = []
        LoginAdmin.made.append(self)

    def list_topics(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("a login asked for the metadata of every topic")

    def describe_cluster(self, request_timeout: float) -> Future:
        self.calls.append("describe_cluster")
        f: Future = Future()
        if self.conf["sasl.password"] == "right":
            f.set_result(object())
        else:
            f.set_exception(KafkaException(KafkaError(KafkaError._AUTHENTICATION)))
        return f

    def poll(self, timeout: float) -> int:
        return 0


def test_a_login_check_is_one_describe_cluster_not_a_metadata_request_of_every_topic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "AdminClient", LoginAdmin)
    LoginAdmin.made = []
    settings = {"bootstrap.servers": "127.0.0.1:1", "security.protocol": "SASL_PLAINTEXT"}
    assert client_module._login({**settings, "sasl.username": "alice"}, "right", 1.0) is True
    assert client_module._login({**settings, "sasl.username": "bob"}, "wrong", 1.0) is False
    assert [a.calls for a in LoginAdmin.made] == [["describe_cluster"], ["describe_cluster"]]
