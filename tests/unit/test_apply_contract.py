"""The apply contract (tests/apply_contract.py) against the in-memory Kafka; the same suite
runs against the real broker in tests/integration/test_apply_contract.py."""

from __future__ import annotations

import itertools

import pytest

from tests.apply_contract import ApplyContract, Binding
from tests.fake_providers import FakeKafka

_counter = itertools.count()


class FakeWorld:
    def __init__(self) -> None:
        self.provider = FakeKafka()
        self.prefix = f"t{next(_counter)}"

    def topics(self) -> dict[str, tuple[int, dict[str, str]]]:
        return {n: t for n, t in self.provider.topics.items() if n.startswith(self.prefix)}

    def bindings(self, principals: set[str]) -> set[Binding]:
        return {b for b in self.provider.bindings if b[0] in principals}

    def users(self) -> set[str]:
        return {u for u in self.provider.users if u.startswith(self.prefix)}


class TestApplyOnFakeKafka(ApplyContract):
    @pytest.fixture
    def world(self) -> FakeWorld:
        return FakeWorld()
