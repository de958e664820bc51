"""The apply contract (tests/apply_contract.py) against the real broker through the Kafka
provider: the same suite the in-memory Kafka of the unit tests passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from meshctl.credentials import LocalCredentialStore
from meshctl.providers.kafka.client import KafkaClient
from meshctl.providers.kafka.provider import KafkaProvider
from tests.apply_contract import ApplyContract, Binding
from tests.integration import kafkautil


class KafkaWorld:
    def __init__(self, settings: dict[str, str], admin: AdminClient, prefix: str, credentials: Path):
        self.provider = KafkaProvider(lambda: KafkaClient(settings, 30.0), LocalCredentialStore(credentials, settings))
        self.admin = admin
        self.prefix = prefix

    def topics(self) -> dict[str, tuple[int, dict[str, str]]]:
        found = kafkautil.topics(self.admin, f"{self.prefix}.")
        configs = kafkautil.topic_configs(self.admin, sorted(found)) if found else {}
        return {name: (partitions, configs[name]) for name, (partitions, _) in found.items()}

    def bindings(self, principals: set[str]) -> set[Binding]:
        return kafkautil.acls(self.admin, principals)

    def users(self) -> set[str]:
        return {u for u in kafkautil.scram_users(self.admin) if u.startswith(self.prefix)}


class TestApplyOnKafka(ApplyContract):
    @pytest.fixture
    def world(self, broker: Any, admin: AdminClient, prefix: str, tmp_path: Path) -> KafkaWorld:
        return KafkaWorld(broker.admin_config(), admin, prefix, tmp_path / "credentials")
