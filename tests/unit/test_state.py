"""Local state: atomic writes, serial and lineage, the lock, and version upgrades."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from meshctl.documents import BadDocumentError, JsonValue
from meshctl.errors import MeshError
from meshctl.state.backend import LockInfo
from meshctl.state.local import LocalBackend
from meshctl.state_model import ResourceState, State


def test_write_read_round_trip_and_serial(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / ".meshctl")
    state = backend.read()
    assert state.serial == 0 and state.resources == {}
    state.resources["kafka_topic.t"] = ResourceState("kafka_topic", "t", {"name": "t"}, "data_product.a.t.v1")
    backend.write(state)
    backend.write(state)
    again = backend.read()
    assert again.serial == 2 and again.lineage == state.lineage
    assert again.resources["kafka_topic.t"].attributes == {"name": "t"}
    assert (tmp_path / ".meshctl" / "state.json").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / ".meshctl").iterdir()] == ["state.json"]  # no temporary files left


def test_a_newer_state_version_is_refused_politely(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"version": 99, "serial": 1, "lineage": "x", "resources": []}))
    with pytest.raises(MeshError, match="written by a newer meshctl"):
        LocalBackend(tmp_path).read()


def test_a_corrupt_state_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(MeshError, match=r"state\.json:1: not valid JSON"):
        LocalBackend(tmp_path).read()


def test_the_lock_names_its_holder_and_is_released(tmp_path: Path) -> None:
    first, second = LocalBackend(tmp_path), LocalBackend(tmp_path)
    info = first.lock("apply")
    with pytest.raises(MeshError) as refused:
        second.lock("apply")
    assert info.who in str(refused.value) and info.id in str(refused.value) and "apply" in str(refused.value)
    first.unlock()
    second.lock("apply")
    second.unlock()
    assert not (tmp_path / "state.lock").exists()


def test_a_lock_left_by_a_dead_process_is_broken(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    info = backend.lock("apply")
    data = json.loads((tmp_path / "state.lock").read_text())
    data["pid"] = _dead_pid()
    (tmp_path / "state.lock").write_text(json.dumps(data))
    other = LocalBackend(tmp_path).lock("plan")
    assert other.id != info.id


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_state_json_is_stable_and_sorted() -> None:
    state = State(lineage="l", serial=3)
    for name in ("b", "a"):
        state.resources[f"kafka_topic.{name}"] = ResourceState("kafka_topic", name, {"name": name}, "s")
    doc = state.to_json()
    assert [r["address"] for r in doc["resources"]] == ["kafka_topic.a", "kafka_topic.b"]  # type: ignore[index]
    assert doc["version"] == 1 and doc["serial"] == 3 and doc["lineage"] == "l"


def test_a_lock_record_is_read_member_by_member() -> None:
    """Local and S3 locks are read alike: a record of another shape is a damaged lock, never a holder
    with a pid that is text."""
    info = LockInfo.new("apply", 42)
    assert LockInfo.from_json(JsonValue(info.to_json(), "state.lock")) == info
    recorded = info.to_json()
    for bad, member in (({**recorded, "pid": "42"}, "pid"), ({k: v for k, v in recorded.items() if k != "who"}, "who")):
        with pytest.raises(BadDocumentError, match=member):
            LockInfo.from_json(JsonValue(bad, "state.lock"))
