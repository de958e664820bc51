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


# -- the state file: compact, one resource per line; indented files of earlier versions still read --


def _sample_state() -> State:
    state = State(lineage="l", serial=4, retired={"b.old.v1": "2026-01-02", "a.old.v1": "2026-01-01"})
    state.resources["kafka_topic.a.t.v1"] = ResourceState(
        "kafka_topic",
        "a.t.v1",
        {"name": "a.t.v1", "partitions": 3, "config": {"retention.ms": "86400000"}, "note": "café \u2603"},
        "data_product.a.t.v1",
        domain="a",
        protected_at="main.hcl:3",
    )
    state.resources["kafka_acl.b/topic/a.t.v1"] = ResourceState(
        "kafka_acl",
        "b/topic/a.t.v1",
        {"principal": "User:b", "operations": ["DESCRIBE", "READ"], "host": "*"},
        "access.b_reads",
        ("kafka_topic.a.t.v1",),
        "b",
    )
    return state


def test_the_state_file_is_compact_with_one_resource_per_line(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    state = _sample_state()
    backend.write(state)
    text = (tmp_path / "state.json").read_text()
    assert json.loads(text) == state.to_json()  # the same document as before, member for member
    lines = text.splitlines()
    assert lines[1] == '"resources":[' and lines[-2] == "]," and lines[-1].startswith('"retired":')
    body = [line.rstrip(",") for line in lines[2:-2]]
    assert [json.loads(line)["address"] for line in body] == sorted(state.resources)
    assert ": " not in text and "\n  " not in text  # no indentation, no padding
    assert text.isascii() and "\\u2603" in text  # non-ASCII escaped, as the state always was
    assert text.endswith("}\n")


def test_an_empty_state_file_is_valid_json(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    backend.write(State())
    doc = json.loads((tmp_path / "state.json").read_text())
    assert doc["resources"] == [] and doc["retired"] == {} and doc["serial"] == 1 and doc["lineage"]


def test_an_indented_state_of_an_earlier_version_reads_and_is_rewritten_compact(tmp_path: Path) -> None:
    state = _sample_state()
    old = state.to_json()
    old["meshctl_version"] = "0.9.0"
    (tmp_path / "state.json").write_text(json.dumps(old, indent=2) + "\n")  # as meshctl wrote it before
    backend = LocalBackend(tmp_path)
    read = backend.read()
    assert (read.serial, read.lineage, read.retired) == (4, "l", state.retired)
    assert read.resources == state.resources
    backend.write(read)
    again = backend.read()
    assert again.serial == 5 and again.resources == state.resources and again.retired == state.retired
    assert len((tmp_path / "state.json").read_text().splitlines()) == len(state.resources) + 4


def test_a_write_re_encodes_only_the_resources_recorded_since_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[str] = []
    to_json = ResourceState.to_json

    def counting(self: ResourceState) -> dict[str, object]:
        encoded.append(self.address)
        return to_json(self)

    monkeypatch.setattr(ResourceState, "to_json", counting)
    backend = LocalBackend(tmp_path)
    state = _sample_state()
    backend.write(state)
    assert sorted(encoded) == sorted(state.resources)
    encoded.clear()
    # apply records a change as a new record: only that one is encoded again, and the file has it
    old = state.resources["kafka_topic.a.t.v1"]
    state.resources[old.address] = ResourceState(old.type, old.name, {**old.attributes, "partitions": 6}, old.source)
    backend.write(state)
    assert encoded == ["kafka_topic.a.t.v1"]
    assert backend.read().resources["kafka_topic.a.t.v1"].attributes["partitions"] == 6
    encoded.clear()
    del state.resources["kafka_acl.b/topic/a.t.v1"]
    backend.write(state)
    assert encoded == [] and list(backend.read().resources) == ["kafka_topic.a.t.v1"]


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("source", None, "resources[1].source should be a string, not null"),
        ("depends_on", "kafka_topic.a", "resources[1].depends_on should be a list, not a string"),
        ("domain", 3, "resources[1].domain should be a string, not a whole number"),
        ("prevent_destroy", True, "resources[1].prevent_destroy should be a string, not true or false"),
        ("type", "kafka_nothing", "resources[1].type: unknown resource type 'kafka_nothing'"),
        ("name", "", "resources[1]: a resource needs a name"),
    ],
)
def test_a_record_of_another_shape_is_named_among_good_ones(member: str, value: object, message: str) -> None:
    """Records are read at once when their shape is right; one that is not is read member by
    member, which names it."""
    doc = _sample_state().to_json()
    doc["resources"][1][member] = value  # type: ignore[index]
    with pytest.raises(BadDocumentError) as caught:
        State.from_json(doc, "state.json")
    assert message in str(caught.value)
    good = _sample_state()
    assert State.from_json(good.to_json(), "state.json").resources == good.resources
