"""Rewinding a copy's MirrorMaker 2 connector (providers.connect.rewind): which partitions move,
what is sent, and that the connector is started again whatever happens."""

from __future__ import annotations

from typing import Any, cast

import pytest

from meshctl.providers.connect.client import ConnectClient, ConnectError
from meshctl.providers.connect.rewind import mirror_offsets, next_copied, rewind, rewound


def test_mirrormaker_records_the_last_copied_offset_so_copying_from_n_records_n_minus_1() -> None:
    assert mirror_offsets("mesh", "sales.orders.v1", {1: 7, 0: 0}) == [
        {"partition": {"cluster": "mesh", "topic": "sales.orders.v1", "partition": 0}, "offset": {"offset": -1}},
        {"partition": {"cluster": "mesh", "topic": "sales.orders.v1", "partition": 1}, "offset": {"offset": 6}},
    ]


def test_only_partitions_the_connector_has_passed_go_back() -> None:
    recorded = [
        {"partition": {"cluster": "mesh", "topic": "t", "partition": 0}, "offset": {"offset": 9}},
        {"partition": {"cluster": "mesh", "topic": "t", "partition": 1}, "offset": {"offset": 2}},
        {"partition": {"cluster": "other", "topic": "t", "partition": 2}, "offset": {"offset": 50}},
        {"partition": {"cluster": "mesh", "topic": "u", "partition": 2}, "offset": {"offset": 50}},
        {"partition": {"cluster": "mesh", "topic": "t", "partition": 3}, "offset": {"offset": "x"}},
    ]
    after = next_copied("mesh", "t", recorded)
    assert after == {0: 10, 1: 3}
    # 0 goes back to 4; 1 has not reached 5 (moving it on would skip 3 and 4); 2 was never begun
    assert rewound({0: 4, 1: 5, 2: 0}, after) == {0: 4}


class _Worker:
    def __init__(self, fail_alter: bool = False, present: bool = True) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.state = "RUNNING"
        self.fail_alter, self.present = fail_alter, present

    def status(self, name: str) -> Any:
        return {"connector": {"state": self.state}} if self.present else None

    def stop(self, name: str) -> None:
        self.calls.append(("stop", name))
        self.state = "STOPPED"

    def resume(self, name: str) -> None:
        self.calls.append(("resume", name))
        self.state = "RUNNING"

    def offsets(self, name: str) -> list[dict[str, Any]]:
        self.calls.append(("offsets", self.state))
        return [{"partition": {"cluster": "mesh", "topic": "t", "partition": 0}, "offset": {"offset": 9}}]

    def alter_offsets(self, name: str, offsets: list[dict[str, Any]]) -> None:
        self.calls.append(("alter", offsets))
        if self.fail_alter:
            raise ConnectError("400: refused")


def test_the_connector_is_stopped_read_while_stopped_altered_and_started_again() -> None:
    worker = _Worker()
    assert rewind(cast(ConnectClient, worker), "copy.x", "mesh", "t", {0: 3}, sleep=lambda _: None) == {0: 3}
    assert [c[0] for c in worker.calls] == ["stop", "offsets", "alter", "resume"]
    assert worker.calls[1] == ("offsets", "STOPPED")
    assert worker.calls[2][1][0]["offset"] == {"offset": 2}


def test_a_refused_alteration_still_starts_the_connector_again() -> None:
    worker = _Worker(fail_alter=True)
    with pytest.raises(ConnectError, match="refused"):
        rewind(cast(ConnectClient, worker), "copy.x", "mesh", "t", {0: 3}, sleep=lambda _: None)
    assert worker.calls[-1] == ("resume", "copy.x") and worker.state == "RUNNING"


def test_a_connector_not_on_the_worker_is_an_error_before_anything_is_stopped() -> None:
    worker = _Worker(present=False)
    with pytest.raises(ConnectError, match="run `meshctl apply` first"):
        rewind(cast(ConnectClient, worker), "copy.x", "mesh", "t", {0: 3}, sleep=lambda _: None)
    assert worker.calls == []
